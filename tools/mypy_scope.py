"""``python -m tools.mypy_scope [--write]``: which aws-cdk-lib modules mypy reads.

``aws_cdk/__init__.py`` (and ``aws_cdk/interfaces/__init__.py``) import every one of the ~300
service modules inside ``if typing.TYPE_CHECKING:``, so mypy, following imports, reads all of
aws-cdk-lib: ~85 s of CPU and 3.3 GB on a cold cache, for a project that uses a few dozen
services. The mypy settings in pyproject.toml therefore follow only the aws_cdk modules this
project's code imports plus everything those modules import in turn (their own TYPE_CHECKING
imports included: every type they mention stays checked); only the two lazy-loading fan-outs are
not followed. Every other aws_cdk module is ``follow_imports = "error"``: importing one from
project code is a mypy error that says so, and this command (``--write``) adds it and what it
needs. Without ``--write`` it fails when the list and the imports disagree (a new import, an
upgrade of aws-cdk-lib): `make lint` and tests/test_code_style.py run it. With the list, a cold
mypy run takes ~26 s of CPU and 1.4 GB instead of ~85 s and 3.3 GB, with the same findings.
"""

from __future__ import annotations

import argparse
import ast
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
# What mypy checks (the same list as `make lint` and tests/static_checks.py).
CHECKED = ("infra", "azure_dr", "lambdas", "tools", "app.py")
# Packages whose imports can lead into aws_cdk (the CDK's own jsii packages and cdk-nag).
FOLLOWED_PACKAGES = ("aws_cdk", "cdk_nag", "constructs")
# The lazy-loading packages whose TYPE_CHECKING block imports every service module.
FAN_OUTS = ("aws_cdk", "aws_cdk.interfaces")
BEGIN = "# BEGIN tools.mypy_scope (generated: python -m tools.mypy_scope --write)"
END = "# END tools.mypy_scope"


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _source(module: str, site: Path) -> Path | None:
    base = site.joinpath(*module.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.exists():
            return path
    return None


def _is_fan_out(node: ast.stmt) -> bool:
    """``if typing.TYPE_CHECKING:`` followed only by ``from . import x as x`` lines."""
    return (
        isinstance(node, ast.If)
        and "TYPE_CHECKING" in ast.unparse(node.test)
        and all(
            isinstance(s, ast.Pass)
            or (isinstance(s, ast.ImportFrom) and s.level == 1 and not s.module)
            for s in node.body
        )
    )


def _imports(module: str, path: Path) -> set[str]:
    """Every module (and ``module.name``, which may be one) that ``path`` imports, anywhere."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    body = ast.parse(path.read_text(), str(path)).body
    if module in FAN_OUTS:
        body = [node for node in body if not _is_fan_out(node)]
    for top in body:
        for node in ast.walk(top):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _project_imports() -> set[str]:
    found: set[str] = set()
    for name in CHECKED:
        target = ROOT / name
        for path in [target] if target.is_file() else sorted(target.rglob("*.py")):
            found |= _imports("project", path)
    return found


def needed(site: Path | None = None) -> set[str]:
    """The aws_cdk modules mypy must follow: the project's imports and all they import."""
    site = site or _site_packages()
    seen: set[str] = set()
    todo = [m for m in _project_imports() if m.split(".")[0] in FOLLOWED_PACKAGES]
    while todo:
        module = todo.pop()
        if module in seen or (path := _source(module, site)) is None:
            continue
        seen.add(module)
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        todo += parents
        todo += [m for m in _imports(module, path) if m.split(".")[0] in FOLLOWED_PACKAGES]
    return {m for m in seen if m == "aws_cdk" or m.startswith("aws_cdk.")}


def block(modules: Iterable[str]) -> str:
    names = "".join(f'  "{m}",\n' for m in sorted(modules))
    return (
        f"{BEGIN}\n"
        "# Only these aws_cdk modules are read (tools/mypy_scope.py says why); any other one that\n"
        "# the project imports is an error until the command above adds it.\n"
        "[[tool.mypy.overrides]]\n"
        'module = "aws_cdk.*"\n'
        'follow_imports = "error"\n\n'
        "[[tool.mypy.overrides]]\n"
        f"module = [\n{names}]\n"
        'follow_imports = "normal"\n'
        f"{END}\n"
    )


def configured(text: str) -> set[str]:
    """The modules the generated block in pyproject.toml follows."""
    inside = text.split(BEGIN, 1)[1].split(END, 1)[0]
    listed = inside.split("module = [", 1)[1].split("]", 1)[0]
    return {line.strip().strip(",").strip('"') for line in listed.splitlines() if line.strip()}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mypy_scope", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite pyproject.toml's block")
    args = parser.parse_args(list(argv))
    modules = needed()
    text = PYPROJECT.read_text()
    if args.write:
        head, _, rest = text.partition(BEGIN)
        tail = rest.partition(END + "\n")[2] if rest else ""
        PYPROJECT.write_text(head.rstrip("\n") + "\n\n" + block(modules) + tail)
        print(f"mypy follows {len(modules)} aws_cdk modules (pyproject.toml)")
        return 0
    current = configured(text) if BEGIN in text else set()
    for module in sorted(modules - current):
        print(f"missing: {module}")
    for module in sorted(current - modules):
        print(f"not needed: {module}")
    if current == modules:
        return 0
    print("pyproject.toml's mypy scope is out of date: python -m tools.mypy_scope --write")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
