"""``make versions``: the remaining standard support of every pinned version, per environment.

    python -m infra.versions                      # every environment
    python -m infra.versions --env production     # one

Reads the pins from the configuration (and the Lambda runtime from the backup stack) and their
end dates from ``infra/config/support.py``. Exit status 1 when a pin is past its end or has no
record, 0 otherwise (warnings included).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.config import (
    ConfigError,
    EnvironmentConfig,
    available_environments,
    load_config,
    support,
)
from infra.config.support import Pin, PinSupport

RUNTIME_KEY = "infra/stacks/backup.py RUNTIME"


def lambda_runtime_pin() -> Pin:
    from infra.constructs.lambda_runtime import RUNTIME  # imports aws-cdk-lib: only when asked

    return Pin(RUNTIME_KEY, RUNTIME.name, "lambda-runtime", RUNTIME.name)


def all_pins(config: EnvironmentConfig) -> list[PinSupport]:
    kubernetes = config.compute.kubernetes_version
    pins = [*support.config_pins(config), lambda_runtime_pin()]
    return [support.support_of(p, kubernetes=kubernetes) for p in pins]


def synth_messages(
    config: EnvironmentConfig, on: date | None = None
) -> tuple[list[str], list[str]]:
    """(errors, warnings) of every pin, the runtime included (what ``app.py`` prints)."""
    return support.problems(all_pins(config), on or support.today())


def render(env: str, pins: list[PinSupport], on: date) -> list[str]:
    rows = [("key", "version", "end of standard support", "days left", "status", "source")]
    for item in pins:
        if item.support is None:
            rows.append((item.pin.key, item.pin.value, "?", "?", "no record", item.problem))
            continue
        days, status = support.remaining(item.support.end, on)
        end = str(item.support.end) if item.support.end else "none announced"
        left = "-" if days is None else str(days)
        rows.append((item.pin.key, item.pin.value, end, left, status, item.support.source))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [f"{env} (as of {on})"]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, row[-1]]))
    # Dates or availability that could not be confirmed against the vendor page say so.
    lines += [
        f"  ! {item.pin.key}: {item.support.verified}"
        for item in pins
        if item.support is not None and "NOT confirmed" in item.support.verified
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", action="append", help="environment (repeatable; default: all)")
    args = parser.parse_args(argv)
    on = support.today()
    failed = False
    for env in args.env or available_environments():
        try:
            config = load_config(env, environ={})
        except ConfigError as err:
            for line in str(err).splitlines():
                print(f"error: {line}", file=sys.stderr)
            failed = True
            continue
        pins = all_pins(config)
        print("\n".join(render(env, pins, on)) + "\n")
        errors, _ = support.problems(pins, on)
        failed = failed or bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
