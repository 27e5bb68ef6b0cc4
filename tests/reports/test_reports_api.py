"""The report API as a merchant's analyst and an integrator use it: roles, bad dates, exports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from dingdan.main import create_app
from dingdan.platform.settings import Settings
from factories.shop import make_sku

REPORTS = ["sales", "orders", "regions", "products", "fulfilment"]
RANGE = {"from": "2025-03-01", "to": "2025-04-15"}


@pytest.mark.parametrize("report", REPORTS)
async def test_only_owner_and_analyst_may_read_reports(client, login, report):
    url = f"/api/v1/reports/{report}"
    assert (await client.get(url)).status_code == 401
    for role, status in (
        ("clerk", 403),
        ("warehouse", 403),
        ("support", 403),
        ("owner", 200),
        ("analyst", 200),
    ):
        response = await client.get(url, headers=await login(role))
        assert response.status_code == status, (role, response.text)
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-13-01", "/from"),
        ("to=yesterday", "/to"),
        ("from=2025-05-02&to=2025-05-01", "/to"),
        ("from=2019-01-01&to=2025-01-01", "/from"),
        ("granularity=hour", "/granularity"),
        ("format=pdf", "/format"),
    ],
)
async def test_bad_dates_and_options_get_a_problem_naming_the_field(client, login, query, field):
    response = await client.get(f"/api/v1/reports/sales?{query}", headers=await login("analyst"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


async def test_sales_csv_and_xlsx_parse_back_to_the_json_figures(client, history, analyst):
    report = (await client.get("/api/v1/reports/sales", params=RANGE, headers=analyst)).json()
    response = await client.get("/api/v1/reports/sales", params={**RANGE, "format": "csv"}, headers=analyst)
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="sales-2025-03-01-2025-04-15.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["period"] for r in rows] == [b["period"] for b in report["series"]]
    for row, bucket in zip(rows, report["series"], strict=True):
        assert int(row["orders"]) == bucket["orders"]
        assert Decimal(row["net"]) == Decimal(bucket["net"])
    xlsx = await client.get("/api/v1/reports/sales", params={**RANGE, "format": "xlsx"}, headers=analyst)
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book["sales"]
    header = [cell.value for cell in sheet[1]]
    values = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert sum(v["orders"] for v in values) == report["totals"]["orders"]
    assert sum(Decimal(str(v["gross"])) for v in values) == Decimal(report["totals"]["gross"])


@pytest.mark.parametrize("report", ["orders", "regions", "products", "fulfilment"])
async def test_every_report_exports_csv_and_xlsx(client, history, analyst, report):
    url = f"/api/v1/reports/{report}"
    as_csv = await client.get(url, params={**RANGE, "format": "csv"}, headers=analyst)
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert len(rows) > 1
    as_xlsx = await client.get(url, params={**RANGE, "format": "xlsx"}, headers=analyst)
    book = load_workbook(io.BytesIO(as_xlsx.content))
    first = book.worksheets[0]
    assert [c.value for c in first[1]] == rows[0]
    assert first.max_row == len(rows)


async def test_a_product_named_like_a_formula_or_with_control_characters_still_exports(
    client, db, history, analyst
):
    """Found by the contract fuzzer: a control character in a product's name made the XLSX
    export of the products report a 500; a name starting with "=" must stay text."""
    await make_sku(db, sku="IDLE-1", name="=1+1\x1d")
    answer = await client.get("/api/v1/reports/products", params={**RANGE, "format": "xlsx"}, headers=analyst)
    assert answer.status_code == 200, answer.text
    slow_movers = load_workbook(io.BytesIO(answer.content))["slow_movers"]
    (name,) = [c for row in slow_movers.iter_rows() for c in row if c.value == "=1+1"]
    assert name.data_type == "s"


async def test_regions_rank_counties_and_drill_into_districts(client, history, analyst):
    counties = (await client.get("/api/v1/reports/regions", params=RANGE, headers=analyst)).json()
    sales = [Decimal(item["sales"]) for item in counties["items"]]
    assert sales == sorted(sales, reverse=True)
    assert {item["county"] for item in counties["items"]} <= {
        "臺北市",
        "新北市",
        "臺中市",
        "高雄市",
        "花蓮縣",
    }
    taipei = (
        await client.get(
            "/api/v1/reports/regions",
            params={**RANGE, "level": "district", "county": "臺北市"},
            headers=analyst,
        )
    ).json()
    assert {item["district"] for item in taipei["items"]} <= {"大安區", "信義區"}
    assert sum(i["orders"] for i in taipei["items"]) == next(
        i["orders"] for i in counties["items"] if i["county"] == "臺北市"
    )


async def test_reports_read_from_the_replica_database_when_one_is_set(db, tmp_path):
    replica_url = f"sqlite+aiosqlite:///{tmp_path / 'replica.sqlite3'}"
    app = create_app(Settings(reports_database_url=replica_url), db=db)
    assert app.state.reports_db is not db
    assert app.state.reports_db.url == replica_url
    assert create_app(Settings(reports_database_url=""), db=db).state.reports_db is db
