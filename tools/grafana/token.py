"""A workspace service-account token that outlives the run by at most ``seconds`` and is deleted
as soon as the run ends (also when it fails): nothing long-lived is left behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Creating data sources needs the Grafana Admin role (Editors may only edit dashboards).
PROVISIONER_ROLE = "ADMIN"


def provisioner_account(client: Any, workspace_id: str, name: str) -> str:
    """The id of the provisioning service account, created on the first run."""
    kwargs: dict[str, Any] = {"workspaceId": workspace_id}
    while True:
        page = client.list_workspace_service_accounts(**kwargs)
        for account in page.get("serviceAccounts", []):
            if account["name"] == name:
                return str(account["id"])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    created = client.create_workspace_service_account(
        workspaceId=workspace_id, name=name, grafanaRole=PROVISIONER_ROLE
    )
    return str(created["id"])


@contextmanager
def temporary_token(
    client: Any, workspace_id: str, *, account_name: str, seconds: int
) -> Iterator[str]:
    account_id = provisioner_account(client, workspace_id, account_name)
    created = client.create_workspace_service_account_token(
        workspaceId=workspace_id,
        serviceAccountId=account_id,
        name=f"{account_name}-{int(time.time())}",
        secondsToLive=seconds,
    )
    token = created["serviceAccountToken"]
    try:
        yield str(token["key"])
    finally:
        client.delete_workspace_service_account_token(
            workspaceId=workspace_id, serviceAccountId=account_id, tokenId=token["id"]
        )
