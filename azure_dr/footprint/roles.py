"""Azure RBAC role assignments: built-in roles by definition id, one scope each, deterministic
names. Least privilege: every assignment is scoped to the one resource it is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from azure_dr.footprint.arm import resource

ROLE_ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"


@dataclass(frozen=True)
class BuiltInRole:
    name: str
    definition_id: str


# Built-in role definition ids are the same in every subscription and Azure cloud. Checked
# against Microsoft's "Azure built-in roles" reference (MicrosoftDocs/azure-docs,
# articles/role-based-access-control/built-in-roles/{containers,security,storage}.md, i.e.
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
# Data actions on the cluster's Kubernetes API, plus listClusterUserCredential (kubeconfig).
AKS_RBAC_CLUSTER_ADMIN = BuiltInRole(
    "Azure Kubernetes Service RBAC Cluster Admin", "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
)
# Data actions secrets/getSecret and secrets/readMetadata only (no keys, no writes).
KEY_VAULT_SECRETS_USER = BuiltInRole(
    "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"
)
# Data actions on secrets only: set, get, list, delete, back up, restore (no keys, no
# certificates, no role or vault management).
KEY_VAULT_SECRETS_OFFICER = BuiltInRole(
    "Key Vault Secrets Officer", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
)
# Read, write and delete blobs and containers; no account keys, no management of the account.
STORAGE_BLOB_DATA_CONTRIBUTOR = BuiltInRole(
    "Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
)
# Read and list blobs and containers only.
STORAGE_BLOB_DATA_READER = BuiltInRole(
    "Storage Blob Data Reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
)
ROLE_DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"


@dataclass(frozen=True)
class CustomRole:
    """A role this template defines (no built-in role is narrow enough). Its definition is
    created in the deployment's resource group, assignable there only."""

    name: str
    definition_id: str
    """A fixed GUID (the definition's resource name), so a re-run updates the same role."""
    actions: tuple[str, ...]
    description: str

    def definition(self) -> dict[str, Any]:
        return resource(
            ROLE_DEFINITION_TYPE,
            self.definition_id,
            {
                # Role names are unique per tenant: the name carries project and environment.
                "roleName": self.name,
                "description": self.description,
                "type": "CustomRole",
                "permissions": [
                    {
                        "actions": list(self.actions),
                        "notActions": [],
                        "dataActions": [],
                        "notDataActions": [],
                    }
                ],
                "assignableScopes": ["[resourceGroup().id]"],
            },
        )

    @property
    def reference(self) -> str:
        return f"[resourceId('{ROLE_DEFINITION_TYPE}', '{self.definition_id}')]"


def inner(expression: str) -> str:
    """An ARM expression without its brackets, to nest it in another expression."""
    return expression[1:-1] if expression.startswith("[") else f"'{expression}'"


def role_assignment(
    role: BuiltInRole | CustomRole,
    *,
    scope: str,
    principal_id: str,
    principal_type: Literal["Group", "ServicePrincipal"] | None,
    principal_key: str,
    depends_on: list[str],
) -> dict[str, Any]:
    """``scope`` is a resourceId() expression; ``principal_key`` names the principal in the
    assignment's name: the name is guid(scope, principal, role), so a re-run updates the same
    assignment. It must be known when the deployment starts, so it can never be a reference():
    an identity that exists only after deployment is named by what creates it.
    ``principal_type`` None: unknown when the template is written (the deploying principal,
    a user or a service principal)."""
    if isinstance(role, CustomRole):
        definition = role.reference
        depends_on = [*depends_on, role.reference]
    else:
        definition = f"[subscriptionResourceId('{ROLE_DEFINITION_TYPE}', '{role.definition_id}')]"
    properties = {
        "roleDefinitionId": definition,
        "principalId": principal_id,
        # Set for identities created in the same deployment: ARM then does not wait for
        # Entra ID replication of the new principal (PrincipalNotFound otherwise).
        "principalType": principal_type,
        "description": f"{role.name} (managed by azure_dr)",
    }
    if principal_type is None:
        del properties["principalType"]
    return resource(
        ROLE_ASSIGNMENT_TYPE,
        f"[guid({inner(scope)}, {principal_key}, '{role.definition_id}')]",
        properties,
        scope=scope,
        depends_on=depends_on,
    )
