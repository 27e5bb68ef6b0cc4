"""Bulk import of orders from a CSV or XLSX file (docs/order-import.md).

Two passes over the file, each a stream. The check pass reads every row, refuses what the
intake would refuse (unreadable values, unknown SKUs, invalid fields) and counts what is
already imported; a dry run stops there. The placing pass reads the file again and places
the good new orders in batches: one transaction per batch, one savepoint per order, so a
refused order (out of stock on a `reject` channel) is rolled back alone.

Orders are keyed by channel + external id (the order_ref when the file gives none): a re-run,
of a finished or an interrupted import, places only what is not there yet.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from os import PathLike
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog import service as catalog
from dingdan.channels import service as channels
from dingdan.channels.import_fields import error_at, intake_key, order_request_body, reject
from dingdan.channels.import_template import ImportKind
from dingdan.channels.imports import ImportLimits, ParsedOrder, RowError, read_orders
from dingdan.orders import rules as order_rules
from dingdan.orders import service as orders
from dingdan.orders.errors import AlreadyPlaced
from dingdan.orders.schemas import OrderIn
from dingdan.platform import events
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError
from dingdan.workflows.place_order import Intake, Pending, place_order, place_orders, submit_order

BATCH_SIZE = 200
PREVIEW_SIZE = 50
Source = IO[bytes] | str | PathLike[str]
# (phase "checking" | "placing", done, total); may be async
Progress = Callable[[str, int, int], Awaitable[None] | None]


@dataclass
class ImportReport:
    dry_run: bool
    rows_total: int = 0
    orders_total: int = 0  # good orders in the file, new or already imported
    imported: int = 0
    already_present: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def to_import(self) -> int:
        return self.orders_total - self.already_present


class _Teller:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    async def __call__(self, phase: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        result = self.progress(phase, done, total)
        if inspect.isawaitable(result):
            await result


@dataclass
class _Checked:
    """What the check pass learnt: which orders to place, by order_ref."""

    good_refs: set[str] = field(default_factory=set)
    new_refs: set[str] = field(default_factory=set)
    good_rows: int = 0


async def import_orders(
    db: Database,
    source: Callable[[], Source],
    kind: ImportKind | str,
    *,
    channel: str,
    dry_run: bool,
    actor: str,
    progress: Progress | None = None,
    limits: ImportLimits | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import the file `source()` opens (called once per pass) into `channel`.

    Raises ImportFileError / ImportTooLarge when the file cannot be read, ChannelNotFound /
    ChannelInactive for the channel; every other problem is a RowError in the report.
    """
    async with db.read() as session:
        await channels.get_intake_settings(session, code=channel)
    report = ImportReport(dry_run=dry_run)
    tell = _Teller(progress)
    checked = await _check_pass(db, source(), kind, channel, limits, report, tell, batch_size)
    if dry_run or not checked.new_refs:
        await tell("placing", report.to_import, report.to_import)
        return report
    placer = _Placer(db, actor, report, tell)
    batch: list[ParsedOrder] = []
    for parsed in _orders_of(source(), kind, channel, limits):
        if parsed.order_ref in checked.new_refs:
            batch.append(parsed)
        if len(batch) == batch_size:
            await placer.place(batch)
            batch = []
    await placer.place(batch)
    return report


def _orders_of(
    source: Source, kind: ImportKind | str, channel: str, limits: ImportLimits | None
) -> Iterator[ParsedOrder]:
    for item in read_orders(source, kind, channel=channel, limits=limits):
        if isinstance(item, ParsedOrder):
            yield item


# The check pass ----------------------------------------------------------------------------


async def _check_pass(
    db: Database,
    source: Source,
    kind: ImportKind | str,
    channel: str,
    limits: ImportLimits | None,
    report: ImportReport,
    tell: _Teller,
    batch_size: int,
) -> _Checked:
    checked = _Checked()
    known_skus: set[str] = set()
    batch: list[ParsedOrder] = []
    for item in read_orders(source, kind, channel=channel, limits=limits):
        if isinstance(item, RowError):
            report.errors.append(item)
            continue
        batch.append(item)
        if len(batch) == batch_size:
            await _check_batch(db, batch, channel, known_skus, report, checked)
            await tell("checking", len(checked.good_refs), 0)
            batch = []
    await _check_batch(db, batch, channel, known_skus, report, checked)
    report.rows_total = checked.good_rows + report.rows_rejected
    report.errors.sort(key=lambda e: e.row)
    await tell("checking", len(checked.good_refs), len(checked.good_refs))
    return checked


async def _check_batch(
    db: Database,
    batch: list[ParsedOrder],
    channel: str,
    known_skus: set[str],
    report: ImportReport,
    checked: _Checked,
) -> None:
    if not batch:
        return
    async with db.read() as session:
        wanted = {ln["sku"] for p in batch for ln in p.intake["lines"]} - known_skus
        known_skus.update(await catalog.find_sellable(session, skus=wanted))
        present = await _existing_keys(session, channel, [intake_key(p) for p in batch])
    for parsed in batch:
        problems = _order_problems(parsed, known_skus)
        if problems:
            report.errors.extend(reject(parsed, problems))
            continue
        _count_good(report, checked, parsed, already=intake_key(parsed) in present)


def _count_good(report: ImportReport, checked: _Checked, parsed: ParsedOrder, *, already: bool) -> None:
    checked.good_refs.add(parsed.order_ref)
    report.orders_total += 1
    checked.good_rows += len(parsed.rows)
    if already:
        report.already_present += 1
    else:
        checked.new_refs.add(parsed.order_ref)
    if len(report.preview) < PREVIEW_SIZE:
        report.preview.append(_preview_of(parsed, already))


def _order_problems(parsed: ParsedOrder, known_skus: set[str]) -> list[RowError]:
    problems = [
        error_at(parsed, ("lines", index, "sku"), "unknown_sku", f"no product has the SKU {line['sku']!r}")
        for index, line in enumerate(parsed.intake["lines"])
        if line["sku"] not in known_skus
    ]
    try:
        OrderIn.model_validate(order_request_body(parsed))
    except ValidationError as invalid:
        for error in invalid.errors():
            loc = [part for part in error.get("loc", ()) if isinstance(part, str | int)]
            problems.append(error_at(parsed, loc, "invalid", str(error.get("msg", "is not valid"))))
    return problems


async def _existing_keys(session: AsyncSession, channel: str, keys: list[str]) -> set[str]:
    table = orders.ORDERS
    stmt = select(table.c.external_id).where(table.c.channel_code == channel, table.c.external_id.in_(keys))
    return {row[0] for row in await session.execute(stmt)}


def _preview_of(parsed: ParsedOrder, already: bool) -> dict[str, Any]:
    intake = parsed.intake
    return {
        "order_ref": parsed.order_ref,
        "rows": list(parsed.rows),
        "customer": intake["customer"]["name"],
        "city": intake["shipping_address"]["city"],
        "lines": len(intake["lines"]),
        "item_count": sum(line["quantity"] for line in intake["lines"]),
        "payment_method": intake["payment_method"],
        "already_imported": already,
    }


# The placing pass --------------------------------------------------------------------------


class _Placer:
    def __init__(self, db: Database, actor: str, report: ImportReport, tell: _Teller) -> None:
        self.db = db
        self.intake = Intake(actor=actor, scope=f"import:{actor}")
        self.report = report
        self.tell = tell
        self.done = 0

    async def place(self, batch: list[ParsedOrder]) -> None:
        if not batch:
            return
        requests = [(p, OrderIn.model_validate(order_request_body(p))) for p in batch]
        try:
            outcome = await self.db.write(self._place_quickly, requests)
        except (AlreadyPlaced, DomainError):  # redo the batch with one savepoint per order
            outcome = await self.db.write(self._place_batch, requests)
        for parsed, request in outcome.retry:
            await self._place_alone(parsed, request)
        self.report.imported += outcome.created
        self.report.errors.extend(outcome.errors)
        self.report.errors.sort(key=lambda e: e.row)
        self.done += len(batch)
        await self.tell("placing", self.done, self.report.to_import)

    async def _place_quickly(
        self, session: AsyncSession, requests: list[tuple[ParsedOrder, OrderIn]]
    ) -> _BatchOutcome:
        """The whole batch placed together, with the statements of one order; a refused order
        is reported on its rows. A number or key already taken rolls it all back (AlreadyPlaced)
        for the slower path, one savepoint per order."""
        pending = [Pending(request, self.intake, _fingerprint(request)) for _, request in requests]
        outcome = _BatchOutcome()
        results = await place_orders(session, batch=pending)
        for (parsed, _), result in zip(requests, results, strict=True):
            if isinstance(result, DomainError):
                outcome.errors.extend(reject(parsed, [_refusal(parsed, result)]))
            elif isinstance(result, BaseException):
                raise result
            else:
                outcome.created += 1
        return outcome

    async def _place_batch(
        self, session: AsyncSession, requests: list[tuple[ParsedOrder, OrderIn]]
    ) -> _BatchOutcome:
        outcome = _BatchOutcome()
        for parsed, request in requests:
            pending = list(session.info.get(events.PENDING_KEY, []))
            try:
                async with session.begin_nested():
                    await place_order(
                        session, request=request, intake=self.intake, fingerprint=_fingerprint(request)
                    )
                outcome.created += 1
            except AlreadyPlaced:
                session.info[events.PENDING_KEY] = pending
                outcome.retry.append((parsed, request))
            except DomainError as refused:
                session.info[events.PENDING_KEY] = pending
                outcome.errors.extend(reject(parsed, [_refusal(parsed, refused)]))
        return outcome

    async def _place_alone(self, parsed: ParsedOrder, request: OrderIn) -> None:
        try:
            placed = await submit_order(self.db, request=request, intake=self.intake)
        except DomainError as refused:
            self.report.errors.extend(reject(parsed, [_refusal(parsed, refused)]))
            return
        if placed.created:
            self.report.imported += 1
        else:
            self.report.already_present += 1


@dataclass
class _BatchOutcome:
    created: int = 0
    retry: list[tuple[ParsedOrder, OrderIn]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _fingerprint(request: OrderIn) -> str:
    return order_rules.request_fingerprint(request.model_dump(mode="json"))


def _refusal(parsed: ParsedOrder, refused: DomainError) -> RowError:
    return error_at(parsed, refused.field or "", refused.code, refused.detail)
