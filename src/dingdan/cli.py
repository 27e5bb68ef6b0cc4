"""The `dingdan` command."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from dingdan.platform import migrate as migrations
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings

app = typer.Typer(help="dingdan 訂單: an online order system.", no_args_is_help=True)


def _database() -> Database:
    return Database(get_settings().resolved_database_url())


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    url = get_settings().resolved_database_url()
    migrations.upgrade(url)
    typer.echo(f"database is up to date ({url.split('://')[0]})")


@app.command()
def demo(
    orders: Annotated[int, typer.Option(help="how many demo orders to place")] = 30,
    if_empty: Annotated[bool, typer.Option(help="quietly do nothing when data exists")] = False,
) -> None:
    """Load the demo shop (staff, products, stock, orders) into an empty database."""
    from dingdan.workflows.load_demo import DEMO_PASSWORD, DEMO_STAFF, is_empty, load_demo

    async def run() -> None:
        db = _database()
        try:
            if not await is_empty(db):
                if not if_empty:
                    typer.echo("the database already has data; demo not loaded")
                return
            with typer.progressbar(length=orders, label="demo orders") as bar:
                done = 0

                def step(count: int) -> None:
                    nonlocal done
                    bar.update(count - done)
                    done = count

                await load_demo(db, orders=orders, progress=step)
        finally:
            await db.dispose()

    asyncio.run(run())
    typer.echo(f"demo logins (password {DEMO_PASSWORD}): " + ", ".join(e for e, _ in DEMO_STAFF))


@app.command()
def worker() -> None:
    """Run background work: event handlers from the broker, the outbox relay and (when this
    process leads) the schedule. Start as many as you like; see docs/deploy.md."""
    from taskiq.api import run_receiver_task

    from dingdan.main import run_schedule
    from dingdan.platform import logs
    from dingdan.platform.events import Relay
    from dingdan.platform.fanout import RedisFanout
    from dingdan.platform.jobs import Jobs
    from dingdan.workflows.subscribers import build_subscribers

    settings = get_settings()
    if not settings.broker_url:
        typer.echo(
            "set DINGDAN_BROKER_URL (amqp://, redis:// or nats://): without a broker, "
            "`dingdan serve` does all the work in-process"
        )
        raise typer.Exit(2)

    async def run() -> None:
        logs.configure(settings.log_level, as_json=settings.log_json)
        db = _database()
        fanout = RedisFanout(settings.redis_url) if settings.redis_url else None
        subscribers = build_subscribers(live=fanout.publish if fanout else None)
        jobs = Jobs.create(settings.broker_url, db, subscribers)
        jobs.broker.is_worker_process = True
        await jobs.broker.startup()
        relay = Relay(db, subscribers, publish=jobs.publish)
        relay.start()
        schedule = asyncio.create_task(run_schedule(db))
        try:
            await run_receiver_task(jobs.broker, max_async_tasks=50)
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
            async with db.read() as session:
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


@app.command("create-staff")
def create_staff(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="owner, clerk, warehouse, support or analyst")] = "owner",
) -> None:
    """Create a staff account."""
    from dingdan.auth import service as auth
    from dingdan.auth.rules import Role

    async def run() -> None:
        db = _database()
        try:
            await db.write(lambda s: auth.create_staff(s, email=email, password=password, role=Role(role)))
        finally:
            await db.dispose()

    asyncio.run(run())
    typer.echo(f"staff account {email} ({role}) created")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
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
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


def _print_addresses(host: str, port: int) -> None:
    from dingdan.workflows.load_demo import DEMO_PASSWORD, DEMO_STAFF

    base = f"http://{host}:{port}"
    typer.echo(f"""
dingdan 訂單 is serving on {base}
  merchant console : {base}/console/
  customer portal  : {base}/account/
  parcel tracking  : {base}/track
  API and docs     : {base}/docs  (OpenAPI: {base}/openapi.json)
demo staff logins (password {DEMO_PASSWORD}):
  {", ".join(email for email, _ in DEMO_STAFF)}
""")


if __name__ == "__main__":
    app()
