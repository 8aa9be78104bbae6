"""The Azure DR footprint as one ARM template, built from the configuration (no SDK here).

Creates: VNet with subnets for the AKS system and user pools, PostgreSQL (delegated) and private
endpoints, one NSG per subnet mirroring the AWS security-group matrix; Log Analytics workspace;
private AKS cluster (Entra ID RBAC, local accounts off, Azure Policy and Key Vault CSI add-ons,
diagnostics) with Container insights' data collection rule and association; PostgreSQL
Flexible Server (private access, TLS 1.2+); geo-redundant storage account with one container
per S3 bucket and the S3 lifecycle; Key Vault (RBAC, purge protection); private endpoints and
private DNS zones; role assignments (cluster admin groups, the CSI identity on the vault); the
AWS replicator's user-assigned identity with its federated credential and blob role; when
``azure.ingress.enabled``, the DR ingress (Application Gateway v2 + WAF, ``ingress.py``). The
PostgreSQL admin password is a secure parameter, never a template value.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import Any

from azure_dr.clouds import CLOUDS, DEFAULT_CLOUD, Cloud
from azure_dr.footprint.arm import evaluate_resource_id, resource_id
from azure_dr.footprint.baseline import baseline_delivery
from azure_dr.footprint.cluster import (
    AKS_TYPE,
    WORKSPACE_TYPE,
    cluster,
    cluster_admins,
    command_invoke,
    secrets_provider_reads,
    workspace,
)
from azure_dr.footprint.database import PASSWORD_PARAMETER, SERVER_TYPE, postgres
from azure_dr.footprint.identity import identity_outputs, replicator_identity
from azure_dr.footprint.ingress import ingress, ingress_outputs
from azure_dr.footprint.monitoring import container_insights
from azure_dr.footprint.names import AzureNames
from azure_dr.footprint.network import network_resources, nsg_rules
from azure_dr.footprint.storage import (
    ACCOUNT_TYPE,
    VAULT_TYPE,
    key_vault,
    key_vault_resource,
    private_endpoint,
    secrets_officers,
    storage_account,
)
from azure_dr.footprint.vpn import (
    GATEWAY_TYPE,
    IP_TYPE,
    Tunnel,
    key_parameters,
    key_vault_parameters,
    tunnels,
    vpn_resources,
)
from infra.config import EnvironmentConfig
from infra.k8s_baseline import published_folder, rendered_text

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"

__all__ = ["PASSWORD_PARAMETER", "Footprint", "build_footprint"]


@dataclass(frozen=True)
class Footprint:
    """Where the template goes and what it holds."""

    subscription_id: str
    resource_group: str
    location: str
    deployment_name: str
    names: AzureNames
    tags: dict[str, str]
    template: dict[str, Any]
    reference_parameters: dict[str, Any] = field(default_factory=dict)
    """Parameters ARM resolves from Key Vault itself (the VPN connections' pre-shared keys)."""
    tunnels: tuple[Tunnel, ...] = ()
    """The AWS tunnels of the cross-cloud link; without an outside address until phase 2."""

    bootstrap_resources: tuple[dict[str, Any], ...] = ()
    """The vault and its secrets officers: deployed alone before the first main deployment."""

    @property
    def vault_id(self) -> str:
        """The footprint's Key Vault's resource id."""
        return evaluate_resource_id(
            resource_id(VAULT_TYPE, self.names.key_vault), self.subscription_id, self.resource_group
        )

    @property
    def key_vault_bootstrap_deployment(self) -> str:
        return f"{self.deployment_name}-kv"

    def key_vault_bootstrap_template(self) -> dict[str, Any]:
        """The vault (and who may write its secrets) before anything else: the main deployment's
        Key Vault references must resolve when it starts, so their secrets are written first.
        The main deployment declares the same resources: Incremental mode re-applies them."""
        return {
            "$schema": SCHEMA,
            "contentVersion": "1.0.0.0",
            "resources": list(self.bootstrap_resources),
        }

    @property
    def key_vault_recovery_deployment(self) -> str:
        return f"{self.deployment_name}-kv-recover"

    def key_vault_recovery_template(self) -> dict[str, Any]:
        """The Key Vault alone with createMode ``recover``: undeletes a soft-deleted vault of the
        same name (purge protection keeps the name taken for the retention period, and a plain
        create then fails with ConflictError). The main deployment re-applies every setting
        afterwards, so nothing depends on what the recover call keeps."""
        (vault,) = (r for r in self.template["resources"] if r["type"] == VAULT_TYPE)
        recovered = {**vault, "properties": {**vault["properties"], "createMode": "recover"}}
        return {
            "$schema": SCHEMA,
            "contentVersion": "1.0.0.0",
            "resources": [recovered],
        }


def build_footprint(
    config: EnvironmentConfig,
    *,
    subscription_id: str | None = None,
    cloud: Cloud | None = None,
    aws_tunnel_addresses: dict[str, list[str]] | None = None,
    egress: list[ipaddress.IPv4Network] | None = None,
    keyless_tunnels: frozenset[str] = frozenset(),
) -> Footprint:
    """``aws_tunnel_addresses`` (region -> the four AWS tunnels' outside addresses, read from
    AWS by ``azure_dr sync``) take precedence over ``link.aws_tunnel_addresses``. ``egress``:
    AWS egress addresses read at ``sync`` time (NAT Elastic IPs), admitted by the storage
    firewall in addition to ``azure.storage.allowed_ip_ranges``. ``keyless_tunnels``: tunnels
    (``Tunnel.key``) whose pre-shared key is not in Key Vault and cannot be copied there now;
    their connections wait like phase 1 (ARM could not resolve the key)."""
    az = config.azure
    cloud = cloud or CLOUDS[DEFAULT_CLOUD]
    subscription = subscription_id or az.subscription_id
    names = AzureNames(config.project, config.name, subscription, az.resource_group)
    tags = {
        **config.tags,
        "project": config.project,
        "environment": config.name,
        "managed-by": "azure_dr",
    }
    subnets = az.subnets()
    zones = [str(z) for z in az.aks.availability_zones]
    ports = config.network.ports
    postgres_zone = f"{names.postgres}.private.{cloud.postgres_dns_suffix}"
    rules = nsg_rules(
        subnets=subnets,
        vnet_cidr=az.vnet_cidr,
        pod_cidr=az.aks.pod_cidr,
        https_port=ports.https,
        application_port=ports.application,
        scrape_ports=ports.scrape_ports(),
        postgres_port=ports.postgres,
        aws_postgres_targets=[str(config.regions[r].vpc_cidr) for r in config.linked_regions]
        if config.replication_sources()
        else None,
    )
    link = config.link
    outside = {r: [str(a) for a in addresses] for r, addresses in link.aws_tunnel_addresses.items()}
    outside.update(aws_tunnel_addresses or {})
    tunnel_list = [
        t if t.key not in keyless_tunnels else replace(t, outside_address=None)
        for t in (tunnels(link, outside) if link.enabled else [])
    ]
    account_id = resource_id(ACCOUNT_TYPE, names.storage_account)
    vault_id = resource_id(VAULT_TYPE, names.key_vault)
    cluster_id = resource_id(AKS_TYPE, names.cluster)
    resources = [
        *network_resources(
            names,
            vnet_cidr=az.vnet_cidr,
            subnets=subnets,
            rules=rules,
            private_dns_zones=[postgres_zone, cloud.blob_dns_zone, cloud.vault_dns_zone],
            gateway_subnet=az.gateway_subnet() if link.enabled else None,
            location=az.location, tags=tags,
        ),
        *(vpn_resources(names, link, tunnel_list=tunnel_list, location=az.location,
                        zones=zones, tags=tags) if link.enabled else []),
        workspace(names, retention_days=az.log_retention_days, location=az.location, tags=tags),
        *cluster(names, az.aks, location=az.location, tags=tags,
                 istio_revision=config.compute.baseline.aks_istio_revision),
        *baseline_delivery(names, az.aks.baseline_source,
                           published_folder(rendered_text(config, "aks"))),
        *postgres(
            names, az.postgres, dns_zone=postgres_zone, zones=zones,
            location=az.location, tags=tags,
        ),
        *storage_account(names, az.storage, location=az.location, tags=tags,
                         allowed=[*az.storage.allowed_ip_ranges, *(egress or [])]),
        *key_vault(names, az.key_vault, location=az.location, tags=tags),
        *private_endpoint(names, target="blob", target_id=account_id, group_id="blob",
                          dns_zone=cloud.blob_dns_zone, location=az.location, tags=tags),
        *private_endpoint(names, target="vault", target_id=vault_id, group_id="vault",
                          dns_zone=cloud.vault_dns_zone, location=az.location, tags=tags),
        *container_insights(names, cluster_id=cluster_id,
                            workspace_id=resource_id(WORKSPACE_TYPE, names.workspace),
                            location=az.location, tags=tags),
        *cluster_admins(names, az.access.cluster_admin_group_ids),
        *command_invoke(names, az.access.cluster_admin_group_ids),
        secrets_provider_reads(names, vault_id),
        *replicator_identity(names, az.identity.replicator, account_id=account_id,
                             location=az.location, tags=tags),
    ]  # fmt: skip
    if az.ingress.enabled:
        resources += ingress(
            names, az.ingress, vault_id=vault_id,
            workspace_id=resource_id(WORKSPACE_TYPE, names.workspace),
            https_port=ports.https, zones=zones, location=az.location, tags=tags,
        )  # fmt: skip
    template = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": {
            PASSWORD_PARAMETER: {
                "type": "securestring",
                "minLength": 12,
                "metadata": {
                    "description": "PostgreSQL administrator password: a Key Vault reference "
                    "(secret postgres-admin-password, generated by azure_dr sync)."
                },
            },
            **key_parameters(tunnel_list),
        },
        "resources": resources,
        "outputs": {
            **_outputs(names),
            **(vpn_outputs(names) if link.enabled else {}),
            **(ingress_outputs(names) if az.ingress.enabled else {}),
        },
    }
    vault = evaluate_resource_id(vault_id, subscription, az.resource_group)
    return Footprint(
        subscription_id=subscription,
        resource_group=az.resource_group,
        location=az.location,
        deployment_name=names.deployment,
        names=names,
        tags=tags,
        template=template,
        reference_parameters=key_vault_parameters(tunnel_list, vault),
        tunnels=tuple(tunnel_list),
        bootstrap_resources=(
            key_vault_resource(names, az.key_vault, location=az.location, tags=tags),
            *secrets_officers(names, az.key_vault),
        ),
    )


def vpn_outputs(names: AzureNames) -> dict[str, Any]:
    """The gateway's two public addresses: what ``link.azure_gateway_ips`` needs for phase 2."""
    return {
        "vpnGatewayId": {"type": "string", "value": resource_id(GATEWAY_TYPE, names.vpn_gateway)},
        "vpnGatewayIps": {
            "type": "array",
            "value": [
                f"[reference({resource_id(IP_TYPE, names.vpn_public_ip(i))[1:-1]}).ipAddress]"
                for i in range(2)
            ],
        },
    }


def _outputs(names: AzureNames) -> dict[str, Any]:
    def ref(resource_type: str, name: str, path: str) -> dict[str, str]:
        return {
            "type": "string",
            "value": f"[reference({resource_id(resource_type, name)[1:-1]}).{path}]",
        }

    return {
        "aksClusterName": {"type": "string", "value": names.cluster},
        "aksClusterId": {"type": "string", "value": resource_id(AKS_TYPE, names.cluster)},
        "aksPrivateFqdn": ref(AKS_TYPE, names.cluster, "privateFQDN"),
        "postgresServerName": {"type": "string", "value": names.postgres},
        "postgresFqdn": ref(SERVER_TYPE, names.postgres, "fullyQualifiedDomainName"),
        "storageAccountName": {"type": "string", "value": names.storage_account},
        "blobEndpoint": ref(ACCOUNT_TYPE, names.storage_account, "primaryEndpoints.blob"),
        "keyVaultName": {"type": "string", "value": names.key_vault},
        "keyVaultUri": ref(VAULT_TYPE, names.key_vault, "vaultUri"),
        **identity_outputs(names),
    }
