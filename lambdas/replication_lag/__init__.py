"""Continuous mode's replication lag: one definition (``measure``), run every minute in AWS by
the probe Lambda (``probe``) and on demand by ``python -m azure_dr replicate database --lag``."""
