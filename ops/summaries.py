"""Run summaries appended to docs/reliability.md as a table under a dated heading."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DOCS = Path("docs/reliability.md")


def append_summary(title: str, summary: Mapping[str, Any]) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        f"| {key} | {json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value} |"
        for key, value in summary.items()
    ]
    lines = [f"\n### {stamp} — {title}\n", "| measure | value |", "| --- | --- |", *rows, ""]
    with DOCS.open("a", encoding="utf-8") as docs:
        docs.write("\n".join(lines) + "\n")
