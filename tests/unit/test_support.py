"""Pinned versions and their end of standard support (infra/config/support.py, make versions)."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from infra.config import ConfigError, load_config, support
from infra.config.support import ADDONS, SUPPORT, Pin, PinSupport, Support
from infra.versions import main, synth_messages
from tests.unit.config_helpers import config_error, one_line

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("end", "on", "expected"),
    [
        (date(2027, 8, 2), TODAY, (243, "ok")),
        (date(2027, 3, 2), TODAY, (90, "ok")),
        (date(2027, 3, 1), TODAY, (89, "warning")),
        (TODAY, TODAY, (0, "warning")),
        (date(2026, 12, 1), TODAY, (-1, "expired")),
        (None, TODAY, (None, "no end announced")),
    ],
)
def test_remaining_support(end: date | None, on: date, expected: tuple[int | None, str]):
    assert support.remaining(end, on) == expected


def _pin(component: str, version: str, key: str = "compute.kubernetes_version") -> Pin:
    return Pin(key, version, component, version)


@pytest.mark.parametrize(
    ("pin", "kubernetes", "expected"),
    [
        (
            _pin("eks", "1.33"),
            "1.33",
            "compute.kubernetes_version: 1.33 reached the end of standard support on 2026-07-29 "
            f"({support.EKS_CALENDAR}): pin a supported version",
        ),
        (
            _pin("eks", "1.99"),
            "1.99",
            "compute.kubernetes_version: 1.99 has no row in infra/config/support.py SUPPORT: add "
            "it with its end and source",
        ),
        (
            _pin("eks-addon/coredns", "v1.14.3-eksbuild.16", "compute.addons.coredns"),
            "1.35",
            "compute.addons.coredns: v1.14.3-eksbuild.16 is recorded for Kubernetes 1.36, not 1.35 "
            "(the cluster's): add it with its end and source",
        ),
    ],
)
def test_each_problem_is_one_line_naming_key_value_and_end(
    pin: Pin, kubernetes: str, expected: str
):
    errors, warnings = support.problems([support.support_of(pin, kubernetes=kubernetes)], TODAY)
    assert (errors, warnings) == ([expected], [])


def test_a_pin_with_under_90_days_left_is_a_warning_not_an_error():
    pin = PinSupport(_pin("eks", "1.36"), Support(date(2027, 1, 15), "https://x", "test"))
    errors, warnings = support.problems([pin], TODAY)
    assert errors == []
    assert warnings == [
        "compute.kubernetes_version: 1.36 leaves standard support on 2027-01-15, in 44 days "
        "(https://x): plan the upgrade"
    ]


def test_every_row_has_a_source_and_every_addon_a_cluster_version_with_a_date():
    for (component, version), row in SUPPORT.items():
        assert row.source.startswith("https://"), (component, version)
        assert row.verified, (component, version)
    for (name, version), record in ADDONS.items():
        assert record.source.startswith("https://"), (name, version)
        for kubernetes in record.kubernetes:
            assert ("eks", kubernetes) in SUPPORT, (name, version, kubernetes)


@pytest.mark.parametrize("env", ["development", "staging", "production"])
def test_every_environment_pins_versions_with_six_months_left_today(env: str):
    config = load_config(env, environ={})
    kubernetes = config.compute.kubernetes_version
    for pin in support.config_pins(config):
        item = support.support_of(pin, kubernetes=kubernetes)
        assert item.support is not None, (pin, item.problem)
        if pin.component in ("eks", "aks") or pin.component.startswith("eks-addon/"):
            days, _ = support.remaining(item.support.end, TODAY)
            assert days is not None and days >= 182, (pin, days)


def test_an_expired_aks_pin_fails_validation_with_one_line(tmp_path: Path):
    message = config_error(tmp_path, lambda c: c["azure"]["aks"].update(kubernetes_version="1.33"))
    assert one_line(message).endswith(
        "production.yaml: azure.aks.kubernetes_version: 1.33 reached the end of standard support "
        f"on 2026-07-31 ({support.AKS_CALENDAR}): pin a supported version"
    )


def test_pins_are_judged_on_the_day_of_the_check(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(support.TODAY_VARIABLE, "2027-06-01")
    config = load_config("development", environ={})
    errors, warnings = synth_messages(config)
    assert errors == []
    keys = [w.split(":")[0] for w in warnings]
    assert keys[:1] == ["compute.kubernetes_version"]
    assert "azure.aks.kubernetes_version" in keys
    monkeypatch.setenv(support.TODAY_VARIABLE, "2027-08-03")
    with pytest.raises(ConfigError, match=r"compute\.kubernetes_version: 1\.36 reached the end"):
        load_config("development", environ={})


def test_versions_report_lists_every_pin(capsys: pytest.CaptureFixture[str]):
    assert main(["--env", "staging"]) == 0
    out = capsys.readouterr().out
    for key in (
        "compute.kubernetes_version", "compute.addons.coredns",
        "monitoring.addons.kube-state-metrics", "data.database.engine_version",
        "data.cache.engine_version",
        "backup.powertools_layer_version", "azure.aks.kubernetes_version",
        "infra/stacks/backup.py RUNTIME",
    ):  # fmt: skip
        assert key in out, key
    assert "NOT confirmed" in out  # what could not be verified says so


def test_make_versions_runs():
    done = subprocess.run(
        ["make", "-s", "versions", "VERSIONS_ARGS=--env development"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "development (as of " in done.stdout
