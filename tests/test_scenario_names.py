"""Each reliability scenario docs/reliability.md calls met has a test carrying its id in its
name (e.g. S-INV-1 → test_s_inv_1_…), so a CI run shows the scenarios it proved."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| (S-[A-Z]+-[0-9/]+) \|(.*)\|\s*([^|]*)\|\s*$")


def met_scenarios() -> set[str]:
    ids = set()
    for line in (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match and match.group(3).strip().startswith("met"):
            family, _, numbers = match.group(1).rpartition("-")
            ids.update(f"{family}-{n}" for n in numbers.split("/"))
    return ids


def all_test_sources() -> str:
    # Every module: a suite may be defined once and taken by a test module per database.
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))


def test_every_met_scenario_has_a_test_named_after_it():
    names = re.findall(r"def (test_\w+)\(", all_test_sources())
    scenarios = met_scenarios()
    missing = sorted(
        sid
        for sid in scenarios
        if not any(f"_{sid.lower().replace('-', '_')}_" in name[4:] for name in names)
    )
    assert scenarios, "docs/reliability.md lists no met scenario"
    assert missing == [], f"no test named after {missing}"
