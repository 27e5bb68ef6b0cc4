"""`dingdan import FILE --channel CODE [--dry-run]` and the upload API with its job to poll."""

from __future__ import annotations

import asyncio
import io

from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from dingdan import cli
from dingdan.main import create_app
from dingdan.orders.models import Order
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings
from dingdan.workflows.import_jobs import wait_for_jobs
from factories.shop import make_sku
from intake.conftest import csv_file, order_rows


async def count_orders(db) -> int:
    async with db.read() as session:
        return await session.scalar(select(func.count()).select_from(Order))


def sample_file() -> bytes:
    rows = order_rows("C1", ["CLI-1"]) + order_rows("C2", ["CLI-1", "NOPE"]) + order_rows("C3", ["CLI-1"])
    rows[-1]["quantity"] = "-1"
    return csv_file(rows)


async def run_cli(monkeypatch, db, *args: str):
    monkeypatch.setattr(cli, "_database", lambda: Database(db.url))
    return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))


async def test_the_cli_imports_and_prints_counts(db, tmp_path, monkeypatch):
    await make_sku(db, sku="CLI-1", stock=10)
    path = tmp_path / "orders.csv"
    path.write_bytes(sample_file())
    dry = await run_cli(monkeypatch, db, "import", str(path), "--channel", "manual", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would import 1 orders" in dry.output and "rejected 3 of 4 rows" in dry.output
    assert await count_orders(db) == 0
    real = await run_cli(monkeypatch, db, "import", str(path), "--channel", "manual")
    assert real.exit_code == 0
    assert "imported 1 orders" in real.output
    assert "row 5 [數量]" in real.output and "row 4 [商品編號]" in real.output  # sheet row, header
    assert await count_orders(db) == 1


async def test_the_cli_refuses_an_unknown_channel_or_file_type(db, tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    path.write_bytes(sample_file())
    assert (await run_cli(monkeypatch, db, "import", str(path), "--channel", "nowhere")).exit_code == 1
    text_file = tmp_path / "orders.txt"
    text_file.write_text("hello")
    assert (await run_cli(monkeypatch, db, "import", str(text_file), "--channel", "manual")).exit_code == 1


async def poll(client, location: str, headers: dict[str, str]) -> dict:
    await wait_for_jobs()
    job = (await client.get(location, headers=headers)).json()
    assert job["status"] == "done", job
    return job


async def test_upload_dry_run_then_import_and_poll_the_job(client, db, login):
    await make_sku(db, sku="CLI-1", stock=10)
    clerk = await login("clerk")
    upload = {"file": ("orders.csv", sample_file(), "text/csv")}
    started = await client.post(
        "/api/v1/imports", files=upload, data={"channel": "manual", "dry_run": "true"}, headers=clerk
    )
    assert started.status_code == 202, started.text
    job = await poll(client, started.headers["location"], clerk)
    assert (job["orders_total"], job["imported"], job["rows_rejected"]) == (1, 0, 3)
    assert {(e["row"], e["column"], e["code"]) for e in job["errors"]} >= {
        (4, "商品編號", "unknown_sku"),
        (5, "數量", "not_positive"),
    }
    assert await count_orders(db) == 0
    started = await client.post("/api/v1/imports", files=upload, data={"channel": "manual"}, headers=clerk)
    job = await poll(client, started.headers["location"], clerk)
    assert job["imported"] == 1 and await count_orders(db) == 1


async def test_an_upload_over_its_cap_is_refused_before_parsing(db, login):
    import httpx

    app = create_app(get_settings().model_copy(update={"max_import_bytes": 2_000}), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        big = {"file": ("orders.csv", b"x" * 5_000, "text/csv")}
        answer = await client.post(
            "/api/v1/imports", files=big, data={"channel": "manual"}, headers=await login("owner")
        )
    assert answer.status_code == 413


async def test_the_template_downloads_in_both_formats(client, login):
    clerk = await login("clerk")
    csv_answer = await client.get("/api/v1/imports/template.csv", headers=clerk)
    assert csv_answer.content.decode("utf-8-sig").startswith("訂單編號")
    xlsx = await client.get("/api/v1/imports/template.xlsx?language=en", headers=clerk)
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet["A1"].value == "order_ref"
