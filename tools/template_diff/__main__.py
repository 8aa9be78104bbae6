"""``python -m tools.template_diff --base <ref>``: docs/operations.md, "Reviewing a pull request".

Exit status: 0 no template change, 1 changes, 2 a stateful resource would be replaced or
removed and ``--fail-on-replace`` was given, 3 an error (bad ref, failed synth, bad usage).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from tools.template_diff import render, synth
from tools.template_diff.engine import DiffReport, compare_templates

NO_CHANGES, CHANGES, STATEFUL_REPLACEMENT, ERROR = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own 2 would read as "replacement"
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(ERROR)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m tools.template_diff", description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref to compare against, e.g. main")
    parser.add_argument(
        "--env",
        action="append",
        dest="envs",
        metavar="ENV",
        help="environment to synthesize (repeatable; default development)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here")
    parser.add_argument(
        "--fail-on-replace",
        action="store_true",
        help="exit 2 when a stateful resource would be replaced or removed",
    )
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="repository (default .)")
    return parser.parse_args(argv)


def exit_status(report: DiffReport, *, fail_on_replace: bool) -> int:
    if fail_on_replace and report.destructive:
        return STATEFUL_REPLACEMENT
    return CHANGES if report.changed else NO_CHANGES


# A commit's templates never change: one process (a test session) synthesizes each only once.
_COMMIT_TEMPLATES: dict[tuple[Path, str, str], dict[str, dict]] = {}


def run(repo: Path, base: str, envs: list[str]) -> DiffReport:
    root = synth.repository_root(repo)
    commit = synth.resolve(root, base)
    missing = [env for env in envs if (root, commit, env) not in _COMMIT_TEMPLATES]
    if missing:
        with synth.checkout(root, commit) as tree:
            for env in missing:
                _COMMIT_TEMPLATES[root, commit, env] = synth.synthesize(tree, env, label=base)
    before: dict[str, dict] = {}
    for env in envs:
        before.update(_COMMIT_TEMPLATES[root, commit, env])
    after: dict[str, dict] = {}
    for env in envs:
        after.update(synth.synthesize(root, env, label="the working tree"))
    return compare_templates(before, after)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    envs = args.envs or ["development"]
    try:
        report = run(args.repo, args.base, envs)
    except synth.DiffError as err:
        print(f"error: {err}", file=sys.stderr)
        return ERROR
    head = "working tree"
    print(render.text(report, base=args.base, head=head), end="")
    if args.markdown:
        args.markdown.write_text(
            render.markdown(report, base=args.base, head=head, environments=envs)
        )
    return exit_status(report, fail_on_replace=args.fail_on_replace)


if __name__ == "__main__":
    sys.exit(main())
