"""The allow entries of each subnet tier's network ACL, as data: the construct creates them, config
validation counts them against the quota, and the reachability model evaluates them.

The ACLs mirror the security-group matrix at the subnet boundary, so that one mistaken
security-group rule alone cannot open a tier (above all the data tier) to a source the matrix
does not allow. ACLs are stateless: every allowed flow needs its return path on the ephemeral
ports (1024-65535 covers Linux clients, NAT gateways and load balancers alike).

Within a tier every port is open between its own subnets (pods and nodes of one cluster across
AZs, the EKS control-plane interfaces in the application subnets, Redis and RDS replication in
the data subnets). Traffic inside one subnet, to the VPC's DNS resolver and to link-local
addresses never passes an ACL.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

PUBLIC, APPLICATION, DATA, MANAGEMENT = "public", "application", "data", "management"
TIERS = (PUBLIC, APPLICATION, DATA, MANAGEMENT)
ANYWHERE = "0.0.0.0/0"
EPHEMERAL = (1024, 65535)
ALL_PORTS = (0, 65535)
# Default quota "rules per network ACL", per direction (Amazon VPC quotas; adjustable to 40).
MAX_RULES_PER_DIRECTION = 20

Direction = Literal["in", "out"]


class MatrixPorts(Protocol):
    """The ports of the security-group matrix (``infra.config.network.Ports``)."""

    @property
    def https(self) -> int: ...
    @property
    def http(self) -> int: ...
    @property
    def application(self) -> int: ...
    @property
    def metrics(self) -> int: ...
    def scrape_ports(self) -> tuple[int, ...]: ...
    @property
    def postgres(self) -> int: ...
    @property
    def redis(self) -> int: ...


@dataclass(frozen=True)
class AclRule:
    """One allow entry: traffic into or out of the tier's subnets, from or to ``peer``."""

    direction: Direction
    peer: str
    ports: tuple[int, int]
    protocol: Literal["tcp", "all"] = "tcp"

    def allows(self, direction: Direction, address: str, port: int) -> bool:
        """Whether this entry lets TCP traffic to or from ``address`` on ``port`` pass."""
        return (
            self.direction == direction
            and self.ports[0] <= port <= self.ports[1]
            and ipaddress.ip_address(address) in ipaddress.ip_network(self.peer)
        )


def _collapsed(cidrs: list[str]) -> list[str]:
    networks = ipaddress.collapse_addresses(ipaddress.IPv4Network(c) for c in cidrs)
    return [str(n) for n in networks]


def tier_rules(
    tiers: dict[str, list[str]], ports: MatrixPorts, remote_postgres_clients: Sequence[str] = ()
) -> dict[str, list[AclRule]]:
    """The allow entries of each tier's ACL, given the subnet CIDRs of every tier. Anything not
    listed is denied by the ACL's final rule.

    ``remote_postgres_clients`` are ranges beyond the Transit Gateway (the Azure VNet with
    continuous replication on, on-premises sites given data access) that reach the data tier on
    the PostgreSQL port. The Transit Gateway's attachment lives in the application subnets, whose
    ACL already passes that flow: AWS evaluates the attachment subnet's outbound rules against the
    destination (the data subnets, port 5432) and its inbound rules against the source of the
    answer (the data subnets, ephemeral ports), docs.aws.amazon.com/vpc/latest/tgw/tgw-nacls.html.
    """
    public, app, data, management = (_collapsed(tiers[t]) for t in TIERS)
    remote = _collapsed(list(remote_postgres_clients)) if remote_postgres_clients else []

    def each(
        direction: Direction,
        cidrs: list[str],
        port_range: tuple[int, int],
        protocol: Literal["tcp", "all"] = "tcp",
    ) -> list[AclRule]:
        return [AclRule(direction, cidr, port_range, protocol) for cidr in cidrs]

    def one(port: int) -> tuple[int, int]:
        return (port, port)

    return {
        PUBLIC: [
            # clients of the ALB, and the NAT gateways' flows from the private tiers
            *each("in", [ANYWHERE], one(ports.https)),
            *each("in", [ANYWHERE], one(ports.http)),
            *each("in", [ANYWHERE], EPHEMERAL),  # answers to the NAT's and the ALB's own flows
            *each("out", app, one(ports.application)),  # ALB to the pods
            *each("out", [ANYWHERE], one(ports.https)),  # NAT onwards to AWS APIs, registries
            *each("out", [ANYWHERE], EPHEMERAL),  # answers to clients and to NAT'ed hosts
        ],
        APPLICATION: [
            *each("in", app, ALL_PORTS, "all"),
            *each("in", public, one(ports.application)),
            *[r for p in ports.scrape_ports() for r in each("in", management, one(p))],
            *each("in", management, one(ports.https)),  # interface endpoints live here
            *each("in", [ANYWHERE], EPHEMERAL),  # answers from the data tier, NAT, endpoints
            *each("out", app, ALL_PORTS, "all"),
            *each("out", data, one(ports.postgres)),
            *each("out", data, one(ports.redis)),
            *each("out", [ANYWHERE], one(ports.https)),
            *each("out", public + management, EPHEMERAL),  # answers to the ALB and scrapers
        ],
        DATA: [
            *each("in", data, ALL_PORTS, "all"),
            *each("in", app, one(ports.postgres)),
            *each("in", app, one(ports.redis)),
            *each("in", management, one(ports.postgres)),
            *each("in", remote, one(ports.postgres)),  # over the Transit Gateway
            *each("out", data, ALL_PORTS, "all"),
            *each("out", app + management + remote, EPHEMERAL),  # answers only, to who may ask
        ],
        MANAGEMENT: [
            *each("in", [ANYWHERE], EPHEMERAL),  # answers to Session Manager, scrapes, queries
            *each("out", [ANYWHERE], one(ports.https)),
            *[r for p in ports.scrape_ports() for r in each("out", app, one(p))],
            *each("out", data, one(ports.postgres)),
        ],
    }


def largest_direction(rules: dict[str, list[AclRule]]) -> tuple[str, Direction, int]:
    """The tier and direction with the most entries, and how many."""
    directions: tuple[Direction, ...] = ("in", "out")
    counts = [
        (tier, direction, sum(r.direction == direction for r in entries))
        for tier, entries in rules.items()
        for direction in directions
    ]
    return max(counts, key=lambda c: c[2])
