"""Azure clouds: where ARM lives, which token audience it takes, and the DNS suffixes of the
private endpoints (they differ per sovereign cloud, so the template is built for one cloud)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str
    """Azure Resource Manager base URL."""
    audience: str
    """Token audience of ARM; the scope asked for is ``<audience>/.default``."""
    authority_host: str
    """Entra ID login host used by azure-identity."""
    blob_dns_zone: str
    vault_dns_zone: str
    postgres_dns_suffix: str
    vault_dns_suffix: str
    """Key Vault data plane: ``https://<vault>.<suffix>``."""

    @property
    def scope(self) -> str:
        return self.audience.rstrip("/") + "/.default"

    def blob_endpoint(self, account: str) -> str:
        """Public name of a storage account's Blob service; inside the VNet the same name
        resolves to the private endpoint (its CNAME into ``blob_dns_zone``)."""
        return f"https://{account}.{self.blob_dns_zone.removeprefix('privatelink.')}/"


CLOUDS: dict[str, Cloud] = {
    c.name: c
    for c in (
        Cloud(
            name="AzureCloud",
            arm_endpoint="https://management.azure.com",
            audience="https://management.azure.com",
            authority_host="login.microsoftonline.com",
            blob_dns_zone="privatelink.blob.core.windows.net",
            vault_dns_zone="privatelink.vaultcore.azure.net",
            postgres_dns_suffix="postgres.database.azure.com",
            vault_dns_suffix="vault.azure.net",
        ),
        Cloud(
            name="AzureUSGovernment",
            arm_endpoint="https://management.usgovcloudapi.net",
            audience="https://management.usgovcloudapi.net",
            authority_host="login.microsoftonline.us",
            blob_dns_zone="privatelink.blob.core.usgovcloudapi.net",
            vault_dns_zone="privatelink.vaultcore.usgovcloudapi.net",
            postgres_dns_suffix="postgres.database.usgovcloudapi.net",
            vault_dns_suffix="vault.usgovcloudapi.net",
        ),
        Cloud(
            name="AzureChinaCloud",
            arm_endpoint="https://management.chinacloudapi.cn",
            audience="https://management.chinacloudapi.cn",
            authority_host="login.chinacloudapi.cn",
            blob_dns_zone="privatelink.blob.core.chinacloudapi.cn",
            vault_dns_zone="privatelink.vaultcore.azure.cn",
            postgres_dns_suffix="postgres.database.chinacloudapi.cn",
            vault_dns_suffix="vault.azure.cn",
        ),
    )
}
DEFAULT_CLOUD = "AzureCloud"
