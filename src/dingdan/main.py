"""create_app(): the one place that wires settings, database, routers and subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from dingdan import __doc__ as about
from dingdan.platform.db import Database
from dingdan.platform.events import Relay
from dingdan.platform.settings import Settings, get_settings
from dingdan.reports import subscribers as report_subscribers
from dingdan.web import problems
from dingdan.web.api import auth, channels, health, inventory, orders, products, reports
from dingdan.web.limits import BodySizeLimit
from dingdan.workflows.schedule import JOBS, ScheduledJob
from dingdan.workflows.subscribers import build_subscribers

log = logging.getLogger("dingdan")


async def _run_every(db: Database, job: ScheduledJob) -> None:
    """In-process scheduled work (a small shop needs nothing more)."""
    while True:
        await asyncio.sleep(job.every_seconds)
        try:
            await job.run(db)
        except Exception:  # keep the schedule alive; the next round retries
            log.exception("scheduled job %s failed", job.name)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = db or Database(settings.resolved_database_url())
    subscribers = build_subscribers()
    report_subscribers.register(subscribers)
    relay = Relay(database, subscribers)
    reports_db = Database(settings.reports_database_url) if settings.reports_database_url else database

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        if settings.run_relay:
            relay.start()
            tasks.extend(asyncio.create_task(_run_every(database, job)) for job in JOBS)
        yield
        for task in tasks:
            task.cancel()
        await relay.stop()
        if db is None:
            await database.dispose()
        if reports_db is not database:
            await reports_db.dispose()

    app = FastAPI(
        title="dingdan 訂單 API",
        version="0.1.0",
        lifespan=lifespan,
        description=(about or "") + "\n\nErrors are application/problem+json (RFC 9457).",
    )
    app.state.db = database
    app.state.relay = relay
    app.state.reports_db = reports_db
    app.state.settings = settings
    problems.install(app)
    for module in (health, auth, products, inventory, orders, channels, reports):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
