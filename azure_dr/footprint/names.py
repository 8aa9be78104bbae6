"""Deterministic Azure names. Storage accounts, Key Vaults and PostgreSQL servers share global
DNS namespaces, so they carry a short hash of subscription and resource group: the same target
always gets the same names, two targets never collide."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class AzureNames:
    project: str
    env: str
    subscription_id: str
    resource_group: str

    @property
    def _suffix(self) -> str:
        key = f"{self.subscription_id.lower()}/{self.resource_group.lower()}"
        return hashlib.sha256(key.encode()).hexdigest()[:6]

    def _name(self, *parts: str) -> str:
        return "-".join((self.project, self.env, "dr", *parts))

    @property
    def deployment(self) -> str:
        return self._name()

    @property
    def vnet(self) -> str:
        return self._name("vnet")

    def nsg(self, subnet: str) -> str:
        return self._name("nsg", subnet.replace("_", "-"))

    def subnet(self, tier: str) -> str:
        return tier.replace("_", "-")

    @property
    def workspace(self) -> str:
        return self._name("logs")

    @property
    def cluster(self) -> str:
        return self._name("aks")

    @property
    def postgres(self) -> str:
        # 3-63 characters, lowercase, hyphens; global DNS name.
        return f"{self._name('pg')[:56]}-{self._suffix}"

    @property
    def command_invoke_role(self) -> str:
        # Custom role names are unique per tenant.
        return self._name("aks-command-invoke")

    @property
    def command_invoke_role_id(self) -> str:
        # A role definition's resource name is a GUID: the same target, the same definition.
        key = f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, (key + self.command_invoke_role).lower()))

    @property
    def storage_account(self) -> str:
        # 3-24 lowercase alphanumerics; global DNS name.
        stem = "".join(c for c in f"{self.project}{self.env}" if c.isalnum())[:16]
        return f"{stem}dr{self._suffix}"

    @property
    def key_vault(self) -> str:
        # 3-24 alphanumerics and hyphens, no consecutive hyphens; global DNS name.
        stem = f"{self.project}-{self.env}"[:14].rstrip("-")
        return f"{stem}-kv-{self._suffix}"

    @property
    def replicator_identity(self) -> str:
        return self._name("replicator")

    def data_collection_rule(self, location: str) -> str:
        # Microsoft's onboarding name, MSCI-<region>-<cluster>, cut at the 64-character limit.
        return f"MSCI-{location}-{self.cluster}"[:64]

    @property
    def app_gateway(self) -> str:
        return self._name("appgw")

    @property
    def app_gateway_identity(self) -> str:
        return self._name("appgw", "id")

    @property
    def app_gateway_ip(self) -> str:
        return self._name("appgw", "ip")

    @property
    def app_gateway_dns_label(self) -> str:
        # <label>.<region>.cloudapp.azure.com: regional namespace, so the hash keeps it unique.
        return f"{self._name('appgw')[:50]}-{self._suffix}"

    @property
    def waf_policy(self) -> str:
        return self._name("waf")

    def private_endpoint(self, target: str) -> str:
        return self._name("pe", target)

    # The cross-cloud link (azure_dr/footprint/vpn.py).
    @property
    def vpn_gateway(self) -> str:
        return self._name("vpngw")

    def vpn_public_ip(self, instance: int) -> str:
        return self._name("vpngw", "ip", str(instance))

    def local_network_gateway(self, tunnel: str) -> str:
        return self._name("lng", tunnel)

    def vpn_connection(self, tunnel: str) -> str:
        return self._name("cn", tunnel)

    @property
    def vpn_action_group(self) -> str:
        return self._name("vpn", "alerts")

    def vpn_alert(self, what: str) -> str:
        return self._name("vpn", what)
