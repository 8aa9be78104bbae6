"""The README stays the front door: short, and every document it points to exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_is_short_and_starts_with_the_two_commands():
    text = README.read_text()
    assert len(text.splitlines()) < 300
    first_block = text.split("```")[1]
    assert [line.split()[:2] for line in first_block.splitlines() if line.strip()][1:] == [
        ["make", "synth"],
        ["make", "test"],
    ]


def test_every_relative_link_in_the_docs_resolves():
    broken = []
    for doc in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []
