#!/usr/bin/env python3
"""Synth benchmark: a hello-world CDK app against the full production app, same CLI, same run.

    .venv/bin/python bench/synth_bench.py [--runs 3] [--env production] [--check]

Each app is synthesized with the pinned CDK CLI (`cdk synth --quiet`, exactly what `make synth`
runs, cdk-nag included) several times; we report the median wall time, the peak memory of the
whole process tree (CLI + Python app + jsii's Node process, summed), and the ratios.

The budget compares against hello-world as `cdk init` makes it (CDK defaults, built-in
CloudFormation validation on). Our app turns that validation off (it only warns; cfn-lint is the
enforced check, see infra/cdk_context.py), so a second hello-world run with `--no-validation`
shows the app's own cost on equal terms. --check exits 1 when the full app exceeds 2.0x the
default hello-world or 1.5 GiB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
MAX_RATIO = 2.0
MAX_PEAK_BYTES = int(1.5 * 2**30)

HELLO_APP = """\
import os
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
from aws_cdk import App, Stack, aws_sns as sns
app = App()
sns.Topic(Stack(app, "Hello"), "Topic")
app.synth()
"""


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(c) for c in (task / "children").read_text().split()]
    return kids


def _tree_rss(root: int) -> int:
    total, stack = 0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError):
            continue
        stack += _children(pid)
    return total


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"synth failed: {' '.join(cmd)}\n{err.decode()[-2000:]}")
    return elapsed, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--env", default="production")
    parser.add_argument("--check", action="store_true", help="fail above the budgets")
    args = parser.parse_args()

    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop("FDR_ACCOUNT", None)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        hello = Path(tmp) / "hello"
        hello.mkdir()
        (hello / "app.py").write_text(HELLO_APP)
        # The same cdk.json (feature flags) as the real app, so both runs do the same work per
        # resource; only the app differs.
        cdk_json = json.loads((ROOT / "cdk.json").read_text())
        (hello / "cdk.json").write_text(json.dumps({**cdk_json, "app": f"{python} app.py"}))
        hello_cmd = [str(CDK), "synth", "--quiet", "-o", f"{tmp}/out-hello"]
        cases = {
            "hello-world": (hello, hello_cmd),
            "hello-world --no-validation": (hello, [*hello_cmd, "--no-validation"]),
            f"{args.env} (full app)": (
                ROOT,
                [str(CDK), "synth", "--quiet", "--app", f"{python} app.py",
                 "-c", f"env={args.env}", "-o", f"{tmp}/out-app"],
            ),
        }  # fmt: skip
        results: dict[str, tuple[float, int]] = {}
        for name, (cwd, cmd) in cases.items():
            measure(cmd, cwd, env)  # warm-up: page cache, .pyc files
            runs = [measure(cmd, cwd, env) for _ in range(args.runs)]
            results[name] = (
                statistics.median(r[0] for r in runs),
                max(r[1] for r in runs),
            )
            shutil.rmtree(f"{tmp}/out-hello", ignore_errors=True)
        stacks = len(list(Path(f"{tmp}/out-app").glob("*.template.json")))

    (hello_time, hello_peak), (bare_time, _), (app_time, app_peak) = results.values()
    print(f"{'app':<30}{'median wall':>12}{'peak memory':>14}")
    for name, (wall, peak) in results.items():
        print(f"{name:<30}{wall:>11.2f}s{peak / 2**20:>10.0f} MiB")
    ratio = app_time / hello_time
    print(f"ratio (full / hello-world): wall {ratio:.2f}x, memory {app_peak / hello_peak:.2f}x")
    print(f"ratio (full / hello-world --no-validation): wall {app_time / bare_time:.2f}x")
    print(f"{stacks} stacks, {args.runs} runs each after one warm-up, {os.cpu_count()} cores")
    if args.check and (ratio > MAX_RATIO or app_peak > MAX_PEAK_BYTES):
        print(f"over budget: wall <= {MAX_RATIO}x and peak <= 1.5 GiB required", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
