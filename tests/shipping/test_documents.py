"""The shipping-note PDF as a viewer, a text extractor and a barcode scanner see it.

Needs poppler-utils (pdffonts, pdftotext, pdftoppm) and zbar-tools (zbarimg).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from dingdan.shipping.documents import (
    FONT_PATH,
    NoteLine,
    ShippingNote,
    render_shipping_note,
    render_shipping_notes,
)

TOOLS = ("pdffonts", "pdfinfo", "pdftotext", "pdftoppm", "zbarimg")
missing = [tool for tool in TOOLS if shutil.which(tool) is None]
if missing and os.environ.get("CI"):
    raise RuntimeError(f"shipping-note tests need {missing} (poppler-utils, zbar-tools)")
needs_tools = pytest.mark.skipif(bool(missing), reason=f"missing {missing}")


def a_note(**changes) -> ShippingNote:
    fields = {
        "shop_name": "好物小舖",
        "order_number": "DD20240603001",
        "recipient_name": "王小明",
        "address": "臺北市中正區重慶南路一段122號",
        "phone": "0912-345-678",
        "lines": [
            NoteLine("TS-RED-M", "純棉短袖上衣", 2, {"顏色": "紅", "尺寸": "M"}),
            NoteLine("MUG-01", "手工馬克杯", 1, {"規格": "350ml"}),
        ],
        "remarks": "易碎品，請小心輕放",
        "tracking_number": "SIM1234567891",
        "carrier_name": "模擬物流",
        "shipped_on": date(2024, 6, 3),
    }
    return ShippingNote(**(fields | changes))


def run(*command: str | Path) -> str:
    return subprocess.run([str(part) for part in command], check=True, capture_output=True, text=True).stdout


def page_count(path: Path) -> int:
    info = run("pdfinfo", path).splitlines()
    return int(next(line.split()[-1] for line in info if line.startswith("Pages:")))


@pytest.fixture
def note_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "note.pdf"
    path.write_bytes(render_shipping_note(a_note()))
    return path


@needs_tools
def test_chinese_font_is_embedded(note_pdf):
    rows = run("pdffonts", note_pdf).splitlines()[2:]
    ours = [row for row in rows if "DingdanSansTC" in row]
    assert ours, rows
    for row in ours:
        columns = row.split()
        assert columns[-5] == "yes", row  # the "emb" column
        assert "TrueType" in row
    # Anything else must be one of the 14 standard fonts every viewer has.
    for row in rows:
        if row not in ours:
            assert row.split()[0] in {"Helvetica", "Courier", "Times-Roman"}, row


@needs_tools
def test_text_comes_back_out(note_pdf):
    text = run("pdftotext", "-layout", note_pdf, "-")
    for expected in (
        "好物小舖",
        "發貨單",
        "DD20240603001",
        "王小明",
        "臺北市中正區重慶南路一段122號",
        "0912-345-678",
        "純棉短袖上衣",
        "顏色：紅",
        "尺寸：M",
        "規格：350ml",
        "易碎品，請小心輕放",
        "SIM1234567891",
        "模擬物流",
        "TS-RED-M",
    ):
        assert expected in text, expected


@needs_tools
def test_barcode_decodes_to_the_tracking_number(note_pdf, tmp_path):
    run("pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", note_pdf, tmp_path / "page")
    (image,) = tmp_path.glob("page*.png")
    decoded = run("zbarimg", "--quiet", "--raw", "-Scode128.enable", image).split()
    assert decoded == ["SIM1234567891"]


@needs_tools
def test_bulk_print_puts_each_order_on_its_own_page(tmp_path):
    path = tmp_path / "bulk.pdf"
    numbers = [f"DD2024060300{n}" for n in range(1, 4)]
    path.write_bytes(
        render_shipping_notes(
            [
                a_note(order_number=number, tracking_number=f"SIM00000000{n}")
                for n, number in enumerate(numbers)
            ]
        )
    )
    assert page_count(path) == 3
    pages = [run("pdftotext", "-f", str(p), "-l", str(p), path, "-") for p in (1, 2, 3)]
    for page, number in zip(pages, numbers, strict=True):
        assert number in page


@needs_tools
def test_long_orders_continue_on_the_next_page(tmp_path):
    lines = [NoteLine(f"SKU-{n:03d}", f"商品第{n}號", 1) for n in range(80)]
    path = tmp_path / "long.pdf"
    path.write_bytes(render_shipping_note(a_note(lines=lines)))
    text = run("pdftotext", path, "-")
    assert "SKU-000" in text and "SKU-079" in text and "合計" in text
    assert page_count(path) >= 2


def test_note_without_tracking_number_still_renders():
    assert render_shipping_note(a_note(tracking_number="")).startswith(b"%PDF")


def test_empty_bulk_print_is_refused():
    with pytest.raises(ValueError):
        render_shipping_notes([])


def test_vendored_font_is_small_truetype_with_common_traditional_characters():
    font = TTFont(FONT_PATH)
    assert "glyf" in font and "CFF " not in font
    assert FONT_PATH.stat().st_size < 5 * 1024 * 1024
    cmap = font.getBestCmap()
    common = (
        "的一是不了人我在有他這中大來上國個到說們為子和你地出道也時年得就那要下以生會自著去之過家學對可她裡後小麼心多天而能好都然沒日於起還發成事只作當想看文無開手十用主行方又如前所本見經頭面"
        "公同三已老從動兩長"
    )
    assert all(ord(char) in cmap for char in common)
    assert all(ord(char) in cmap for char in "臺灣縣鄉鎮區里鄰巷弄號樓舖，。：；「」（）")
    assert (FONT_PATH.parent / "LICENSE").exists()
