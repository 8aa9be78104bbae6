"""Keyless identity of the AWS-side object replicator: a user-assigned managed identity whose
Entra federated identity credential trusts AWS IAM outbound identity federation tokens
(``sts:GetWebIdentityToken``), with Storage Blob Data Contributor on the DR account only.
No secret exists anywhere: the replicator exchanges its AWS-signed token for an Entra token."""

from __future__ import annotations

from typing import Any

from azure_dr.footprint.arm import resource, resource_id
from azure_dr.footprint.names import AzureNames
from azure_dr.footprint.roles import STORAGE_BLOB_DATA_CONTRIBUTOR, inner, role_assignment
from infra.config.azure_identity import FederatedIdentity

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
CREDENTIAL_TYPE = f"{IDENTITY_TYPE}/federatedIdentityCredentials"
CREDENTIAL_NAME = "aws-outbound-federation"


def replicator_identity(
    names: AzureNames,
    trust: FederatedIdentity,
    *,
    account_id: str,
    location: str,
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    identity = names.replicator_identity
    identity_id = resource_id(IDENTITY_TYPE, identity)
    return [
        resource(IDENTITY_TYPE, identity, {}, location=location, tags=tags),
        # One credential only: Entra ID refuses concurrent writes of credentials on one identity.
        resource(
            CREDENTIAL_TYPE,
            f"{identity}/{CREDENTIAL_NAME}",
            {"issuer": trust.issuer, "subject": trust.subject, "audiences": [trust.audience]},
            depends_on=[identity_id],
        ),
        role_assignment(
            STORAGE_BLOB_DATA_CONTRIBUTOR,
            scope=account_id,
            principal_id=f"[reference({inner(identity_id)}).principalId]",
            principal_type="ServicePrincipal",
            principal_key=inner(identity_id),
            depends_on=[identity_id, account_id],
        ),
    ]


def identity_outputs(names: AzureNames) -> dict[str, Any]:
    """What the AWS side needs to request an Entra token: client id and tenant id."""
    ref = f"reference({inner(resource_id(IDENTITY_TYPE, names.replicator_identity))})"
    return {
        "replicatorClientId": {"type": "string", "value": f"[{ref}.clientId]"},
        "replicatorTenantId": {"type": "string", "value": f"[{ref}.tenantId]"},
        "replicatorPrincipalId": {"type": "string", "value": f"[{ref}.principalId]"},
    }
