"""Shipping notes / packing slips (發貨單) as PDF, one page or more per parcel.

Traditional Chinese is drawn with a TrueType font embedded in the PDF (a subset of Noto
Sans CJK TC vendored under fonts/, SIL OFL), so every viewer shows it and text
extraction gives it back. The tracking number is printed as a Code 128 barcode.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT_NAME = "DingdanSansTC"
FONT_PATH = Path(__file__).parent / "fonts" / "DingdanSansTC-Regular.ttf"
PAGE_MARGIN = 15 * mm


@dataclass(frozen=True)
class NoteLine:
    """One line of the parcel: `attributes` such as {"顏色": "紅", "尺寸": "M"}."""

    sku: str
    name: str
    quantity: int
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShippingNote:
    shop_name: str
    order_number: str
    recipient_name: str
    address: str
    phone: str
    lines: Sequence[NoteLine]
    remarks: str = ""
    tracking_number: str = ""
    carrier_name: str = ""
    shipped_on: date | None = None


def register_font() -> str:
    """Register the embedded Traditional-Chinese font with ReportLab (once) and name it."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return FONT_NAME


def _styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=18, leading=24),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12.5),
    }


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _header(note: ShippingNote, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    shipped = note.shipped_on.isoformat() if note.shipped_on else ""
    facts = [
        ("訂單編號", note.order_number),
        ("出貨日期", shipped),
        ("收件人", note.recipient_name),
        ("電話", note.phone),
        ("地址", note.address),
        ("物流", note.carrier_name),
        ("物流單號", note.tracking_number),
    ]
    rows = [
        [Paragraph(_text(label), styles["small"]), Paragraph(_text(value), styles["body"])]
        for label, value in facts
        if value
    ]
    table = Table(rows, colWidths=[24 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    heading = Paragraph(_text(f"{note.shop_name}　發貨單"), styles["title"])
    return [heading, Spacer(1, 4 * mm), table, Spacer(1, 4 * mm)]


def _barcode(tracking_number: str) -> Flowable:
    # 0.4 mm modules and 16 mm bars: scannable by handheld readers and at 150 dpi.
    barcode = Code128(
        tracking_number,
        barWidth=0.4 * mm,
        barHeight=16 * mm,
        humanReadable=True,
        quiet=True,
        lquiet=6 * mm,
        rquiet=6 * mm,
    )
    barcode.fontName = register_font()
    return barcode


def _describe_attributes(attributes: Mapping[str, str]) -> str:
    return "　".join(f"{name}：{value}" for name, value in attributes.items())


def _lines_table(note: ShippingNote, styles: dict[str, ParagraphStyle]) -> Table:
    cell = styles["cell"]
    rows: list[list[Paragraph]] = [[Paragraph(text, cell) for text in ("商品編號", "品名", "規格", "數量")]]
    for line in note.lines:
        rows.append(
            [
                Paragraph(_text(line.sku), cell),
                Paragraph(_text(line.name), cell),
                Paragraph(_text(_describe_attributes(line.attributes)), cell),
                Paragraph(str(line.quantity), cell),
            ]
        )
    total = sum(line.quantity for line in note.lines)
    rows.append(
        [Paragraph("", cell), Paragraph("", cell), Paragraph("合計", cell), Paragraph(str(total), cell)]
    )
    table = Table(rows, colWidths=[34 * mm, 66 * mm, 63 * mm, 17 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -2), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (3, 0), (3, -1), "RIGHT"),
            ]
        )
    )
    return table


def _note_story(note: ShippingNote, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    story = _header(note, styles)
    if note.tracking_number:
        story += [_barcode(note.tracking_number), Spacer(1, 9 * mm)]
    story.append(_lines_table(note, styles))
    if note.remarks:
        story += [Spacer(1, 4 * mm), Paragraph(_text(f"備註：{note.remarks}"), styles["body"])]
    return story


def render_shipping_notes(notes: Sequence[ShippingNote], *, title: str = "發貨單") -> bytes:
    """One PDF holding every note, each starting on a new page (bulk print)."""
    if not notes:
        raise ValueError("no shipping notes to render")
    styles = _styles()
    story: list[Flowable] = []
    for index, note in enumerate(notes):
        if index:
            story.append(PageBreak())
        story += _note_story(note, styles)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=notes[0].shop_name,
        initialFontName=register_font(),
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN,
    )
    document.build(story)
    return buffer.getvalue()


def render_shipping_note(note: ShippingNote) -> bytes:
    return render_shipping_notes([note])
