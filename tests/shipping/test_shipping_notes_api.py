"""Shipping notes over the API, as a viewer, a text extractor and a barcode scanner see them.

Needs poppler-utils (pdffonts, pdftotext, pdftoppm, pdfinfo) and zbar-tools (zbarimg).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from factories.shipping import place_confirmed_order, ship
from factories.shop import make_sku

TOOLS = ("pdffonts", "pdfinfo", "pdftotext", "pdftoppm", "zbarimg")
missing = [tool for tool in TOOLS if shutil.which(tool) is None]
if missing and os.environ.get("CI"):
    raise RuntimeError(f"shipping-note tests need {missing} (poppler-utils, zbar-tools)")
needs_tools = pytest.mark.skipif(bool(missing), reason=f"missing {missing}")


def run(*command: str | Path) -> str:
    return subprocess.run([str(p) for p in command], check=True, capture_output=True, text=True).stdout


async def fetch_pdf(client, url, headers, path: Path) -> Path:
    answer = await client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    path.write_bytes(answer.content)
    return path


@needs_tools
async def test_the_shipping_note_embeds_its_font_and_its_barcode_reads_back(client, db, login, carriers, tmp_path):
    sku = await make_sku(db, attributes={"顏色": "黑", "尺寸": "M"})
    number = await place_confirmed_order(client, await login("clerk"), (sku, 2), note="請下午送達")
    staff = await login("warehouse")
    parcel = await ship(client, number, staff)
    pdf = await fetch_pdf(client, f"/api/v1/orders/{number}/shipping-note.pdf", staff, tmp_path / "note.pdf")

    fonts = run("pdffonts", pdf).splitlines()[2:]
    ours = [row for row in fonts if "DingdanSansTC" in row]
    assert ours and all(row.split()[-5] == "yes" for row in ours)  # the "emb" column
    text = run("pdftotext", "-layout", pdf, "-")
    for expected in (number, parcel["tracking_number"], "發貨單", "王小明", "臺北市大安區", "復興南路一段",
                     "0912345678", f"商品 {sku}", "顏色：黑", "尺寸：M", "請下午送達", "模擬物流"):
        assert expected in text, expected
    run("pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", pdf, tmp_path / "page")
    (image,) = tmp_path.glob("page*.png")
    assert run("zbarimg", "--quiet", "--raw", "-Scode128.enable", image).split() == [parcel["tracking_number"]]


@needs_tools
async def test_bulk_print_gives_one_pdf_for_many_orders(client, db, login, carriers, tmp_path):
    sku = await make_sku(db, stock=20)
    clerk = await login("clerk")
    shipped = await place_confirmed_order(client, clerk, (sku, 1))
    parcel = await ship(client, shipped, clerk)
    waiting = await place_confirmed_order(client, clerk, (sku, 2))  # not shipped: a packing slip
    query = f"order={shipped}&order={waiting}"
    pdf = await fetch_pdf(client, f"/api/v1/shipping-notes.pdf?{query}", clerk, tmp_path / "bulk.pdf")
    pages_line = next(line for line in run("pdfinfo", pdf).splitlines() if line.startswith("Pages:"))
    assert pages_line.split()[-1] == "2"
    pages = [run("pdftotext", "-f", str(n), "-l", str(n), pdf, "-") for n in (1, 2)]
    assert shipped in pages[0] and parcel["tracking_number"] in pages[0]
    assert waiting in pages[1]


async def test_unknown_orders_in_a_bulk_print_are_named(client, db, login, carriers):
    sku = await make_sku(db)
    clerk = await login("clerk")
    number = await place_confirmed_order(client, clerk, (sku, 1))
    answer = await client.get(f"/api/v1/shipping-notes.pdf?order={number}&order=260101-ABCDEFGH", headers=clerk)
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["field"] == "/order/1"
    assert (await client.get(f"/api/v1/orders/{number}/shipping-note.pdf", headers=await login("analyst"))).status_code == 403
