"""The `dingdan` command."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from dingdan.platform import migrate as migrations
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings

SMALL_DEMO_ORDERS = 30
app = typer.Typer(help="dingdan 訂單: an online order system.", no_args_is_help=True)
MAX_PRINTED_ERRORS = 200
# Above the 60 s idle timeout of common load balancers. With uvicorn's 5 s, a process that
# stalls that long (CPU starved, stopped) resets a connection whose next request has arrived.
KEEP_ALIVE_SECONDS = 75


def _database() -> Database:
    settings = get_settings()
    return Database(settings.resolved_database_url(), pool_size=settings.database_pool_size)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    url = get_settings().resolved_database_url()
    migrations.upgrade(url)
    typer.echo(f"database is up to date ({url.split('://')[0]})")


def _progress(bar: Any) -> Callable[[int], None]:
    done = 0

    def step(count: int) -> None:
        nonlocal done
        bar.update(count - done)
        done = count

    return step


@app.command()
def demo(
    orders: Annotated[
        int | None,
        typer.Option(help="load N orders of a year's history in bulk (without it: a small demo shop)"),
    ] = None,
    if_empty: Annotated[bool, typer.Option(help="quietly do nothing when data exists")] = False,
) -> None:
    """Load the demo shop (staff, products, stock, orders) into an empty database."""
    from dingdan.workflows.load_demo import DEMO_CUSTOMER, DEMO_PASSWORD, DEMO_STAFF, is_empty, load_demo

    async def run() -> None:
        db = _database()
        try:
            if not await is_empty(db):
                if not if_empty:
                    typer.echo("the database already has data; demo not loaded")
                return
            if orders is None:
                with typer.progressbar(length=SMALL_DEMO_ORDERS, label="demo orders") as bar:
                    await load_demo(db, orders=SMALL_DEMO_ORDERS, progress=_progress(bar))
            else:
                await _load_at_scale(db, orders)
        finally:
            await db.dispose()

    asyncio.run(run())
    typer.echo(f"demo logins (password {DEMO_PASSWORD}): " + ", ".join(e for e, _ in DEMO_STAFF))
    if orders is None:
        typer.echo(f"demo customer (my orders, same password): {DEMO_CUSTOMER}")


@app.command()
def worker() -> None:
    """Run background work: event handlers from the broker, the outbox relay and (when this
    process leads) the schedule. Start as many as you like; see docs/deploy.md."""
    from taskiq.api import run_receiver_task

    from dingdan.main import build_all_subscribers, run_schedule
    from dingdan.platform import logs, memory, outbound
    from dingdan.platform.events import Relay
    from dingdan.platform.fanout import RedisFanout
    from dingdan.platform.jobs import WORKER_CONCURRENCY, Jobs

    settings = get_settings()
    if not settings.broker_url:
        typer.echo(
            "set DINGDAN_BROKER_URL (amqp://, redis:// or nats://): without a broker, "
            "`dingdan serve` does all the work in-process"
        )
        raise typer.Exit(2)

    async def run() -> None:
        logs.configure(settings.log_level, as_json=settings.log_json)
        await outbound.check_configured(settings.outbound_urls(), settings.outbound_policy())
        db = _database()
        fanout = RedisFanout(settings.redis_url) if settings.redis_url else None
        subscribers = build_all_subscribers(live=fanout.publish if fanout else None)
        jobs = Jobs.create(
            settings.broker_url,
            db,
            subscribers,
            settings.broker_queue,
            reclaim_seconds=settings.broker_reclaim_seconds,
        )
        jobs.broker.is_worker_process = True
        await jobs.start_publishing()
        relay = Relay(db, subscribers, publish=jobs.publish)
        relay.start()
        schedule = asyncio.create_task(run_schedule(db))
        if settings.freeze_startup_objects:
            memory.settle_after_startup()
        try:
            await run_receiver_task(jobs.broker, max_async_tasks=WORKER_CONCURRENCY)
        finally:
            schedule.cancel()
            await relay.stop()
            await jobs.broker.shutdown()
            await db.dispose()

    asyncio.run(run())


@app.command()
def check() -> None:
    """Recompute every invariant (stock, ledger, totals, reservations, outbox); exit 1 on drift."""
    from dingdan.reports.invariants import run_checks, undelivered_events

    async def run() -> bool:
        db = _database()
        try:
            async with db.snapshot() as session:
                findings = await run_checks(session)
                backlog = await undelivered_events(session)
        finally:
            await db.dispose()
        for finding in findings:
            mark = "ok  " if finding.count == 0 else "FAIL"
            typer.echo(f"{mark} {finding.check}" + (f": {finding.count}" if finding.count else ""))
            for example in finding.examples:
                typer.echo(f"       {example}")
        typer.echo(f"info events waiting for delivery: {backlog}")
        return all(f.count == 0 for f in findings)

    if not asyncio.run(run()):
        raise typer.Exit(1)


@app.command()
def backup(file: Annotated[Path, typer.Argument(help="where to write the backup")]) -> None:
    """Back up the database while the shop keeps running."""
    from dingdan.platform import backup as backups

    backups.backup(get_settings().resolved_database_url(), file)
    typer.echo(f"backup written to {file} ({file.stat().st_size:,} bytes)")


@app.command()
def restore(file: Annotated[Path, typer.Argument(help="a file made by `dingdan backup`")]) -> None:
    """Replace the database's contents with a backup. Stop the shop first."""
    from dingdan.platform import backup as backups

    if not file.exists():
        typer.echo(f"no such file: {file}")
        raise typer.Exit(2)
    backups.restore(get_settings().resolved_database_url(), file)
    typer.echo(f"restored from {file}; run `dingdan check` to verify")


async def _load_at_scale(db: Database, orders: int) -> None:
    from dingdan.reports.rollups import rebuild
    from dingdan.workflows.load_demo_at_scale import load_demo_at_scale

    with typer.progressbar(length=orders, label="demo orders ") as bar:
        await load_demo_at_scale(db, orders=orders, progress=_progress(bar))
    with typer.progressbar(length=orders, label="report rollups") as bar:
        await rebuild(db, progress=_progress(bar))


rollups = typer.Typer(help="Report rollups.", no_args_is_help=True)
app.add_typer(rollups, name="rollups")


@rollups.command("rebuild")
def rebuild_rollups() -> None:
    """Recompute every report rollup from the orders (run it when the shop is quiet)."""
    from sqlalchemy import func, select

    from dingdan.orders.service import ORDERS
    from dingdan.reports.rollups import rebuild

    async def run() -> int:
        db = _database()
        try:
            async with db.read() as session:
                total = int(await session.scalar(select(func.count()).select_from(ORDERS)) or 0)
            with typer.progressbar(length=total, label="report rollups") as bar:
                return await rebuild(db, progress=_progress(bar))
        finally:
            await db.dispose()

    typer.echo(f"rollups rebuilt from {asyncio.run(run())} orders")


@app.command("create-staff")
def create_staff(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="owner, clerk, warehouse, support or analyst")] = "owner",
) -> None:
    """Create a staff account."""
    from dingdan.auth import service as auth
    from dingdan.auth.rules import Role
    from dingdan.platform import audit

    async def run() -> None:
        db = _database()
        origin = audit.Origin(ip="", user_agent="", method="CLI", path="create-staff", actor="cli")
        try:
            with audit.opened(origin):
                await db.write(
                    lambda s: auth.create_staff(s, email=email, password=password, role=Role(role))
                )
        finally:
            await db.dispose()

    asyncio.run(run())
    typer.echo(f"staff account {email} ({role}) created")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
    keep_alive: Annotated[
        int, typer.Option(help="seconds an idle connection stays open; keep it above the load balancer's")
    ] = KEEP_ALIVE_SECONDS,
) -> None:
    """Serve the API, the merchant console and the customer portal."""
    import uvicorn

    settings = get_settings()
    settings.resolved_secret_key()
    os.environ.setdefault("DINGDAN_DATABASE_URL", settings.resolved_database_url())
    _print_addresses(host, port)
    uvicorn.run(
        "dingdan.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_keep_alive=keep_alive,
        log_config=None,
        access_log=False,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


def _print_addresses(host: str, port: int) -> None:
    from dingdan.workflows.load_demo import DEMO_PASSWORD, DEMO_STAFF

    base = f"http://{host}:{port}"
    typer.echo(f"""
dingdan 訂單 is serving on {base}
  merchant console : {base}/console/
  customer portal  : {base}/account/orders
  parcel tracking  : {base}/track
  API and docs     : {base}/docs  (OpenAPI: {base}/openapi.json)
demo staff logins (password {DEMO_PASSWORD}):
  {", ".join(email for email, _ in DEMO_STAFF)}
""")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help=".csv or .xlsx")],
    channel: Annotated[str, typer.Option(help="the channel the orders came from")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check everything, write nothing")] = False,
) -> None:
    """Import orders from a CSV or XLSX file in the template's format (docs/order-import.md)."""
    from dingdan.channels.import_template import import_kind_for_filename
    from dingdan.platform.errors import DomainError
    from dingdan.workflows.import_orders import ImportReport, import_orders

    async def run() -> ImportReport:
        db = _database()
        try:
            with typer.progressbar(length=1, label="checking", show_pos=True) as bar:
                return await import_orders(
                    db,
                    lambda: str(file),
                    import_kind_for_filename(file.name),
                    channel=channel,
                    dry_run=dry_run,
                    actor="cli:import",
                    progress=_progress_to(bar),
                )
        finally:
            await db.dispose()

    try:
        report = asyncio.run(run())
    except DomainError as refused:
        typer.echo(f"not imported: {refused.detail}", err=True)
        raise typer.Exit(1) from None
    _print_import_report(report)


def _progress_to(bar: Any) -> Callable[[str, int, int], None]:
    def show(phase: str, done: int, total: int) -> None:
        bar.label = phase
        bar.length = max(total, done, 1)
        bar.update(done - bar.pos)

    return show


def _print_import_report(report: Any) -> None:
    for error in report.errors[:MAX_PRINTED_ERRORS]:
        column = f" [{error.column}]" if error.column else ""
        typer.echo(f"row {error.row}{column}: {error.message} ({error.code})", err=True)
    if len(report.errors) > MAX_PRINTED_ERRORS:
        typer.echo(f"… and {len(report.errors) - MAX_PRINTED_ERRORS} more row errors", err=True)
    verb = "would import" if report.dry_run else "imported"
    count = report.to_import if report.dry_run else report.imported
    typer.echo(
        f"{verb} {count} orders; already imported {report.already_present}; "
        f"rejected {report.rows_rejected} of {report.rows_total} rows"
    )


if __name__ == "__main__":
    app()
