"""A served process keeps what it made at start-up out of the garbage collector's walks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

STARTED_APP = """
import asyncio, gc, json
from dingdan.main import create_app

async def main():
    app = create_app()
    before = (gc.get_freeze_count(), gc.get_threshold()[0])
    async with app.router.lifespan_context(app):
        after = (gc.get_freeze_count(), gc.get_threshold()[0])
    print(json.dumps({"before": before, "after": after}))

asyncio.run(main())
"""


def started(tmp_path, freeze: str) -> dict[str, list[int]]:
    env = {
        **os.environ,
        "DINGDAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/shop.db",
        "DINGDAN_RUN_RELAY": "false",
        "DINGDAN_FREEZE_STARTUP_OBJECTS": freeze,
    }
    out = subprocess.run(
        [sys.executable, "-c", STARTED_APP], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_started_process_freezes_its_start_up_objects_and_collects_the_young_less_often(tmp_path):
    seen = started(tmp_path, "true")
    assert seen["before"][0] == 0 and seen["after"][0] > 10_000
    assert seen["after"][1] == 7000


def test_the_setting_leaves_the_collector_as_python_sets_it(tmp_path):
    seen = started(tmp_path, "false")
    assert seen["after"] == seen["before"]
