"""create_app(): the one place that wires settings, database, routers and subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from dingdan import __doc__ as about
from dingdan.payments.adapters.base import ProviderRegistry
from dingdan.payments.adapters.sandbox import SANDBOX_CODE, SandboxProvider
from dingdan.platform import clock, logs, metrics
from dingdan.platform.db import Database
from dingdan.platform.events import Relay
from dingdan.platform.settings import Settings, get_settings
from dingdan.web import pages, problems
from dingdan.web.api import auth, channels, health, inventory, me, my_orders, orders, payments, products
from dingdan.web.csrf import CsrfCookie
from dingdan.web.limits import BodySizeLimit
from dingdan.web.observability import Observe
from dingdan.web.pages import account_orders, account_session, sandbox_pay
from dingdan.workflows.payment_webhooks import sandbox_webhook_secrets
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
            metrics.JOB_FAILURES.labels(job.name).inc()
            log.exception("scheduled job %s failed", job.name)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = db or Database(settings.resolved_database_url())
    relay = Relay(database, build_subscribers())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.configure_logging:
            logs.configure(settings.log_level, as_json=settings.log_json)
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

    app = FastAPI(
        title="dingdan 訂單 API",
        version="0.1.0",
        lifespan=lifespan,
        description=(about or "") + "\n\nErrors are application/problem+json (RFC 9457).",
    )
    app.state.db = database
    app.state.relay = relay
    app.state.settings = settings
    problems.install(app)
    for module in (health, auth, products, inventory, orders, channels, me, my_orders, payments, sandbox_pay):
        app.include_router(module.router)
    app.include_router(payments.webhooks)
    app.state.payment_providers = ProviderRegistry(
        [SandboxProvider(clock=clock.now, pay_page_url=f"/payments/{SANDBOX_CODE}")]
    )
    app.state.payment_webhook_secrets = {SANDBOX_CODE: sandbox_webhook_secrets(settings)}
    pages.install(app)
    account_session.install(app)
    for page_module in (account_session, account_orders):
        app.include_router(page_module.router)
    app.add_middleware(CsrfCookie)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Observe)
    return app
