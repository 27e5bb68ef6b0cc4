"""create_app(): the one place that wires settings, database, routers and subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import FastAPI

from dingdan import __doc__ as about
from dingdan.payments.adapters.base import ProviderRegistry
from dingdan.payments.adapters.sandbox import SANDBOX_CODE, SandboxProvider
from dingdan.platform import clock, logs, memory, metrics, outbound
from dingdan.platform.db import Database
from dingdan.platform.events import Relay, Subscribers
from dingdan.platform.fanout import RedisFanout
from dingdan.platform.jobs import Jobs
from dingdan.platform.leader import lead
from dingdan.platform.settings import Settings, get_settings
from dingdan.reports import subscribers as report_subscribers
from dingdan.web import pages, problems
from dingdan.web.api import (
    aftersales,
    audit,
    auth,
    channels,
    health,
    imports,
    inventory,
    me,
    my_aftersales,
    my_orders,
    notifications,
    order_edits,
    orders,
    payments,
    products,
    shipping,
    shipping_webhooks,
    tracking,
    webhooks,
)
from dingdan.web.api import reports as report_api
from dingdan.web.csrf import CsrfCookie
from dingdan.web.limits import BodySizeLimit
from dingdan.web.live import InProcessFeed
from dingdan.web.observability import Observe
from dingdan.web.origin import RequestOrigin
from dingdan.web.pages import account_aftersales, account_orders, account_session, sandbox_pay
from dingdan.web.pages import track as track_page
from dingdan.web.ratelimit import build_rate_limits
from dingdan.web.routing import add_lean_route, add_routes
from dingdan.workflows.console_push import Publish
from dingdan.workflows.payment_webhooks import sandbox_webhook_secrets
from dingdan.workflows.refund_order import use_payment_providers
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


async def run_schedule(db: Database) -> None:
    """Every scheduled job, each on its own timer, while this process leads."""
    await lead(db, lambda: _run_jobs(db))


async def _run_jobs(db: Database) -> None:
    await asyncio.gather(*(_run_every(db, job) for job in JOBS))


def build_all_subscribers(live: Publish | None = None) -> Subscribers:
    """The workflows' reactions plus the reports' rollup refresh: sibling layers that do not
    import each other, joined here (used by the API process and by `dingdan worker`)."""
    subscribers = build_subscribers(live=live)
    report_subscribers.register(subscribers)
    return subscribers


def _include_webhooks_first(app: FastAPI) -> None:
    """Providers' deliveries come in bursts and must be answered fast: their routes are
    matched first (no other route starts with /webhooks/, so none is shadowed)."""
    add_routes(app, payments.webhooks, shipping_webhooks.router, webhooks.router)


def _wire_customer_portal(app: FastAPI, settings: Settings) -> None:
    """Customer accounts and orders, payment providers and their webhooks, the portal pages."""
    for module in (me, my_orders, my_aftersales, payments, sandbox_pay, account_session, account_orders):
        add_routes(app, module.router)
    add_routes(app, account_aftersales.router)
    app.state.payment_providers = ProviderRegistry(
        [SandboxProvider(clock=clock.now, pay_page_url=f"/payments/{SANDBOX_CODE}")]
    )
    app.state.payment_webhook_secrets = {SANDBOX_CODE: sandbox_webhook_secrets(settings)}
    use_payment_providers(app.state.payment_providers)
    account_session.install(app)


@dataclass
class Background:
    """What runs beside the HTTP server: the outbox relay, the schedule, broker and fan-out."""

    settings: Settings
    database: Database
    owns_database: bool
    live_feed: InProcessFeed = field(default_factory=InProcessFeed)

    def __post_init__(self) -> None:
        settings = self.settings
        self.fanout = RedisFanout(settings.redis_url) if settings.redis_url else None
        self.subscribers = build_all_subscribers(
            live=self.fanout.publish if self.fanout else self.live_feed.publish
        )
        self.jobs = (
            Jobs.create(settings.broker_url, self.database, self.subscribers, settings.broker_queue)
            if settings.broker_url
            else None
        )
        self.relay = Relay(self.database, self.subscribers, publish=self.jobs.publish if self.jobs else None)
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.settings.configure_logging:
            logs.configure(self.settings.log_level, as_json=self.settings.log_json)
        await outbound.check_configured(self.settings.outbound_urls(), self.settings.outbound_policy())
        if self.jobs:  # orders are taken while the broker is away; their events wait in the outbox
            self.tasks.append(asyncio.create_task(self.jobs.start_publishing()))
        if self.fanout:
            self.fanout.start_forwarding(self.live_feed.publish)
        if self.settings.run_relay:
            self.relay.start()
            if not self.jobs:  # with a broker, the workers' leader runs the schedule
                self.tasks.append(asyncio.create_task(run_schedule(self.database)))
        if self.settings.freeze_startup_objects:
            memory.settle_after_startup()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.relay.stop()
        if self.fanout:
            await self.fanout.close()
        if self.jobs:
            await self.jobs.broker.shutdown()
        if self.owns_database:
            await self.database.dispose()


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = db or Database(settings.resolved_database_url(), pool_size=settings.database_pool_size)
    background = Background(settings, database, owns_database=db is None)
    live_feed, relay = background.live_feed, background.relay
    reports_db = (
        Database(settings.reports_database_url, pool_size=settings.database_pool_size)
        if settings.reports_database_url
        else database
    )
    limits, shared_counters = build_rate_limits(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await background.start()
        yield
        await background.stop()
        if shared_counters:
            await shared_counters.close()
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
    app.state.live = live_feed
    app.state.settings = settings
    app.state.rate_limits = limits
    problems.install(app)
    _include_webhooks_first(app)
    for module in (
        health,
        auth,
        products,
        inventory,
        orders,
        channels,
        aftersales,
        notifications,
        order_edits,
        shipping,
        tracking,
        track_page,
        imports,
        report_api,
        audit,
    ):
        add_routes(app, module.router)
    add_lean_route(app, orders.post_order, orders.post_order_lean)
    add_lean_route(app, tracking.get_tracking, tracking.get_tracking_lean)
    pages.install(app)
    _wire_customer_portal(app, settings)
    app.add_middleware(CsrfCookie)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={
            "/api/v1/aftersales/": settings.photo_max_bytes + 64 * 1024,
            "/api/v1/imports": settings.max_import_bytes,
            "/console/import": settings.max_import_bytes,
        },
    )
    app.add_middleware(RequestOrigin)
    app.add_middleware(Observe)
    return app
