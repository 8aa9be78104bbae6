"""``python -m tools.rto --env ENV``: the RTO budget of the environment's Region switch plan, an
estimate from configuration (docs/runbooks.md, "Drills and the RTO budget")."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from infra.config import ConfigError, RegionRole, load_config
from infra.recovery.budget import render, rto_budget


def main(argv: Sequence[str], out: Any = None, err: Any = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m tools.rto", description=__doc__)
    parser.add_argument("--env", required=True)
    args = parser.parse_args(list(argv))
    try:
        config = load_config(args.env)
    except ConfigError as problem:
        print(f"rto: {problem}", file=err)
        return 2
    if not config.regions_with_role(RegionRole.STANDBY):
        print(f"rto: {config.name} has no standby region, so no Region switch plan", file=out)
        return 0
    budget = rto_budget(config.recovery, config.dns.health_check)
    print(render(budget, environment=config.name), file=out)
    return 0 if budget.fits else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
