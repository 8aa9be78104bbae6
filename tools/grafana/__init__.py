"""``make grafana ENV=...``: data sources, folder and dashboards of the Amazon Managed Grafana
workspace, provisioned with the operator's own AWS credentials and a service-account token that
lives for minutes and is deleted when the run ends (docs/decisions.md, "Grafana provisioning")."""
