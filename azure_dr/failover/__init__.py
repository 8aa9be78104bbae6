"""``python -m azure_dr failover`` and ``failback``: move production to Azure when both AWS
regions are lost, and back again (docs/runbooks.md).

- ``timeline.py``: idempotent steps, the state marker (a blob) and the measured timeline (RTO).
- ``dns.py``: Route 53 (the ALB health checks' status, the failover gates of the DNS stack).
- ``pools.py``: the AKS user pools' DR sizes (ARM agentPools).
- ``database.py``: the seam to the database restore (``azure_dr.database.restore``).
- ``command.py``: the steps in order, dry run, refusal, output.
"""
