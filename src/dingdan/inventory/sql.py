"""The one statement that changes stock levels, written per database.

Every change of `on_hand` / `reserved` — reserve, release, ship, adjust — is a list of
(sku, warehouse, Δon_hand, Δreserved) applied by a single UPDATE joined to that list (passed
as one JSON parameter, so the statement text never changes and stays prepared). A row is
changed only if it keeps `0 <= reserved <= on_hand`; the caller compares the row count with
the list and refuses the whole change when any row was left out.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

_GUARD = """
WHERE s.sku = v.sku AND s.warehouse_id = v.warehouse_id
  AND s.reserved + v.d_reserved >= 0
  AND s.reserved + v.d_reserved <= s.on_hand + v.d_on_hand
"""

APPLY_DELTAS: dict[str, TextClause] = {
    "postgresql": text(
        "UPDATE inventory_stock_level AS s "
        "SET on_hand = s.on_hand + v.d_on_hand, reserved = s.reserved + v.d_reserved "
        "FROM jsonb_to_recordset(CAST(:plan AS jsonb)) "
        "AS v(sku text, warehouse_id bigint, d_on_hand int, d_reserved int)" + _GUARD
    ),
    "sqlite": text(
        "UPDATE inventory_stock_level AS s "
        "SET on_hand = s.on_hand + v.d_on_hand, reserved = s.reserved + v.d_reserved "
        "FROM (SELECT json_extract(value, '$.sku') AS sku, "
        "json_extract(value, '$.warehouse_id') AS warehouse_id, "
        "json_extract(value, '$.d_on_hand') AS d_on_hand, "
        "json_extract(value, '$.d_reserved') AS d_reserved FROM json_each(:plan)) AS v" + _GUARD
    ),
}
