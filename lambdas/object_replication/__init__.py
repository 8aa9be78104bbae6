"""Object replication S3 -> Azure Blob: the engine shared by the Lambda functions of the
replication tier and by ``python -m azure_dr replicate objects`` / ``status``.

Server-side copy only: Azure Storage fetches each object from a presigned S3 GET URL (Put Blob
From URL, or Put Block From URL + Put Block List for large objects); object bytes never pass
through this code. Only the Lambda runtime's botocore/boto3 and urllib3 are imported here (no
Azure SDK, no build step); Powertools is imported by the two handler modules only.
"""
