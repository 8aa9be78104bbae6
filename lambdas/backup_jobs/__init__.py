"""Backup and DR jobs of fdr-infra: snapshot, copy, prune, verify, promote.

Each job module is a thin Lambda handler over a plain function that takes boto3 clients (through
a ``ClientFactory``), so the work is testable against moto or a botocore Stubber. Only the Lambda
runtime's boto3 and the Powertools layer are needed: no build step.
"""
