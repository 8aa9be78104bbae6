"""Who may do what in the Azure DR footprint: Entra groups given roles, and the keyless
identity the AWS-side object replicator signs in with (no Azure secret anywhere)."""

from __future__ import annotations

import re
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from infra.config.base import StrictModel

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Entra ID limits of a federated identity credential (Microsoft Graph
# federatedIdentityCredential resource: issuer and subject at most 600 characters).
FEDERATED_FIELD_MAX = 600
ENTRA_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


def _entra_object_id(value: str) -> str:
    if not _GUID.match(value):
        raise ValueError(
            f"{value!r} is not an Entra object id (a GUID such as "
            "0a1b2c3d-0000-4000-8000-000000000001; copy it from the group's Overview page)"
        )
    return value.lower()


def _https_issuer(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"{value!r} is not an https issuer URL: Entra ID fetches "
            "<issuer>/.well-known/openid-configuration over https, so token exchange would fail "
            "(AWS: `aws iam get-outbound-web-identity-federation-info`, IssuerIdentifier)"
        )
    if len(value) > FEDERATED_FIELD_MAX:
        raise ValueError(f"issuer is {len(value)} characters; Entra ID accepts at most 600")
    return value


EntraObjectId = Annotated[str, AfterValidator(_entra_object_id)]
HttpsIssuer = Annotated[str, AfterValidator(_https_issuer)]


class AccessConfig(StrictModel):
    """Role assignments to people. Workload identities get theirs from the template itself."""

    cluster_admin_group_ids: list[EntraObjectId] = Field(min_length=1)
    """Entra group object ids given "Azure Kubernetes Service RBAC Cluster Admin" on the DR
    cluster (local accounts are off: without a group nobody can administer it). The cluster
    baseline also binds them to the design's ``fdr-admin`` ClusterRole
    (docs/cluster-baseline.md)."""
    cluster_developer_group_ids: list[EntraObjectId] = Field(default_factory=list)
    """Entra group object ids bound to the design's ``fdr-developer`` ClusterRole in each
    application namespace of the DR cluster (Kubernetes RBAC, the same rules as on EKS)."""

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        for key in ("cluster_admin_group_ids", "cluster_developer_group_ids"):
            seen = getattr(self, key)
            if len(set(seen)) != len(seen):
                raise ValueError(
                    f"{key} lists a group twice: ARM would reject two role assignments with the "
                    "same name"
                )
        return self


class FederatedIdentity(StrictModel):
    """Trust of an external OIDC token issuer by an Entra federated identity credential."""

    issuer: HttpsIssuer
    """Token issuer URL, exactly as in the token's ``iss`` claim; for AWS IAM outbound identity
    federation the account's ``https://<id>.tokens.sts.global.api.aws``."""
    subject: str = Field(min_length=1, max_length=FEDERATED_FIELD_MAX, pattern=r"^\S+$")
    """Exact ``sub`` claim; for a token from ``sts:GetWebIdentityToken`` called by a Lambda,
    the ARN of the function's IAM role (``arn:aws:iam::<account>:role/<name>``)."""
    audience: str = Field(default=ENTRA_TOKEN_EXCHANGE_AUDIENCE, min_length=1, max_length=600)
    """``aud`` claim the token is requested with; Entra ID's recommended value by default."""


class IdentityConfig(StrictModel):
    replicator: FederatedIdentity
    """The AWS-side S3-to-Blob replicator: a user-assigned managed identity trusts its tokens
    and holds Storage Blob Data Contributor on the DR storage account only."""
