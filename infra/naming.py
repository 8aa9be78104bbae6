"""Deterministic names: stack ids, resource names and KMS aliases all derive from project + env."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    project: str
    env: str

    def stack_id(self, tier: str, region: str) -> str:
        """``fdr-<env>-<tier>-<region>``; the global stacks use region ``global``."""
        return f"{self.project}-{self.env}-{tier}-{region}"

    def resource(self, *parts: str) -> str:
        return "-".join((self.project, self.env, *parts))

    def alb_health_check(self, region: str) -> str:
        """Name tag of the Route 53 health check of a region's ALB."""
        return self.resource("alb", region)

    def dr_gate(self, region: str) -> str:
        """Name tag of the CALCULATED health check that gates a region's failover record:
        ``python -m azure_dr failover`` finds it by this tag and closes it."""
        return self.resource("dr-gate", region)

    def kms_alias(self, purpose: str) -> str:
        """``alias/fdr-<env>-<purpose>``: the same alias in every region, so another region can
        address a key by an ARN it can compute (no cross-region export)."""
        return f"alias/{self.resource(purpose)}"

    # Physical names other stacks, other regions and the Lambda jobs address without exports.
    # Changing one replaces the resource: treat them as an interface.

    def database_identifier(self, region: str) -> str:
        """RDS instance id of the primary (in the primary region) or of a region's replica."""
        return self.resource("postgres", region)

    def redis_group_id(self, region: str) -> str:
        return self.resource("redis", region)

    def data_bucket(self, account: str, region: str) -> str:
        return self.resource("data", account, region)

    def access_log_bucket(self, account: str, region: str) -> str:
        return self.resource("access-logs", account, region)

    def cluster_name(self, region: str) -> str:
        return self.resource("cluster", region)

    def ssm_parameter(self, *parts: str) -> str:
        """``/fdr/<env>/...``: values one region publishes for stacks of other regions to read."""
        return "/" + "/".join((self.project, self.env, *parts))

    def eks_access_role(self, access: str, region: str) -> str:
        """IAM role mapped into a region's cluster (``access`` is admin or developer); IAM is
        global, so the region keeps the four clusters' roles apart."""
        return self.resource(f"eks-{access}", region)

    def link_secret_prefix(self, region: str) -> str:
        """Secrets Manager prefix of a linked region's VPN pre-shared keys (link stack)."""
        return "/".join((self.project, self.env, "link", region))

    def link_tunnel_secret(self, region: str, connection: int, tunnel: int) -> str:
        """The pre-shared key of tunnel ``tunnel`` of the region's VPN connection to Azure
        gateway instance ``connection`` (``VpnConnection``: ``<prefix>/azure-<n>/tunnel-<t>``);
        ``azure_dr sync`` copies it into Key Vault."""
        return f"{self.link_secret_prefix(region)}/azure-{connection}/tunnel-{tunnel}"

    def replication_user_secret(self) -> str:
        """Secrets Manager secret of the continuous mode's replication user (primary data
        stack; ``azure_dr replicate database`` reads it)."""
        return "/".join((self.project, self.env, "database", "replication-user"))

    def origin_secret(self) -> str:
        """Secrets Manager secret of the edge's origin header (replicated to every ALB region)."""
        return "/".join((self.project, self.env, "edge", "origin-header"))

    def origin_check_rule_parameter(self) -> str:
        """SSM parameter (same name in every ALB region) holding the ARN of the region's listener
        rule that checks the origin header: the edge's rotation Lambda finds the rules by it."""
        return self.ssm_parameter("ingress", "origin-check-rule-arn")

    def origin_rotation_function(self) -> str:
        """The rotation Lambda of the origin secret (edge stack, us-east-1)."""
        return self.resource("edge", "origin-rotation")

    def alb_log_bucket(self, account: str, region: str) -> str:
        return self.resource("alb-logs", account, region)

    # Region switch (infra/stacks/region_switch.py, infra/stacks/recovery_actions.py).

    def region_switch_plan(self) -> str:
        """Name of the ARC Region switch plan (at most 32 characters, letters, digits, hyphens)."""
        return self.resource("dr")[:32]

    def region_switch_role(self) -> str:
        """The plan's execution role: IAM is global, one name addresses it from both regions."""
        return self.resource("region-switch")

    def recovery_function(self, step: str) -> str:
        """A custom-action Lambda of the plan; the same name in the primary and the standby."""
        return self.resource("recovery", step)

    def app_parameter(self, key: str) -> str:
        """``/fdr/<env>/app/<key>``: where applications find the writer database and the cache."""
        return self.ssm_parameter("app", key)

    def object_replicator_role(self, region: str) -> str:
        """IAM role of the object replication functions; its ARN is the subject of their AWS
        web identity tokens, which the Azure managed identity's federated credential trusts."""
        return self.resource("object-replicator", region)


def azure_connection_name(prefix: str, index: int) -> str:
    """Name tag of a linked region's VPN connection to Azure gateway instance ``index`` (1 or 2),
    given the region's link prefix (``Names.resource("link", region)``); ``azure_dr sync`` finds
    the connections by it."""
    return f"{prefix}-azure-{index}"
