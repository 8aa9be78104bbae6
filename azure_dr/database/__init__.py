"""The database's way to Azure: a logical dump streamed to the DR storage account (dump mode)
and PostgreSQL logical replication to the Azure flexible server (continuous mode)."""
