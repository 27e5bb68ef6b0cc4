"""Rebuild the vendored Traditional-Chinese TrueType subset used on shipping notes.

Noto Sans CJK ships CFF outlines, which ReportLab cannot embed. This script takes the
Traditional-Chinese face of Noto Sans CJK (SIL OFL 1.1), keeps only the characters a
shipping note needs, converts the cubic CFF outlines to quadratic TrueType (glyf) outlines
and renames the family, as the OFL asks of a modified version.

Kept characters: printable ASCII and Latin-1, general punctuation, CJK symbols and
punctuation, Bopomofo, full-width forms, the Big5 symbol rows (A140-A3BF) and every Big5 hanzi: the
level-1 "frequently used" set (A440-C67E, 5,401 characters, a superset of the 4,808 in
the Ministry of Education's standard list of common characters) and the level-2 "less
frequently used" set (C940-F9D5, 7,652 characters), which names and addresses need.

Usage (needs the dev extra, which includes fonttools):

    python src/dingdan/shipping/fonts/build_subset.py SOURCE.ttc|SOURCE.otf OUTPUT.ttf
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

FAMILY_NAME = "Dingdan Sans TC"
POSTSCRIPT_NAME = "DingdanSansTC-Regular"
SOURCE_FACE_NAME = "Noto Sans CJK TC"
MAX_CURVE_ERROR_UNITS = 2.0
UNICODE_RANGES = [
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x2010, 0x2027),
    (0x2030, 0x203B),
    (0x2100, 0x2199),
    (0x2460, 0x24FF),
    (0x2500, 0x257F),
    (0x25A0, 0x25FF),
    (0x3000, 0x303F),
    (0x3105, 0x312F),
    (0xFE30, 0xFE4F),
    (0xFF01, 0xFF65),
]


def big5_characters(first_row: int, last_row: int) -> Iterator[int]:
    """Every character that Big5 encodes in the rows first_row..last_row."""
    trail_bytes = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    for lead in range(first_row, last_row + 1):
        for trail in trail_bytes:
            try:
                yield ord(bytes([lead, trail]).decode("big5"))
            except UnicodeDecodeError:
                continue


def wanted_code_points() -> set[int]:
    code_points = {cp for low, high in UNICODE_RANGES for cp in range(low, high + 1)}
    code_points.update(big5_characters(0xA1, 0xA3))
    code_points.update(big5_characters(0xA4, 0xC6))
    code_points.update(big5_characters(0xC9, 0xF9))
    return code_points


def open_source_face(path: Path) -> TTFont:
    if path.suffix.lower() != ".ttc":
        return TTFont(path)
    for face in TTCollection(path).fonts:
        if face["name"].getDebugName(1) == SOURCE_FACE_NAME:
            return face
    raise SystemExit(f"{SOURCE_FACE_NAME} not found in {path}")


def subset_face(font: TTFont) -> None:
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_code_points())
    subsetter.subset(font)


def convert_cff_to_glyf(font: TTFont) -> None:
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in font.getGlyphOrder():
        tt_pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(tt_pen, MAX_CURVE_ERROR_UNITS, reverse_direction=True))
        glyphs[name] = tt_pen.glyph()
    del font["CFF "]
    glyf = newTable("glyf")
    glyf.glyphOrder = font.getGlyphOrder()
    glyf.glyphs = glyphs
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    font["head"].glyphDataFormat = 0
    font["head"].indexToLocFormat = 0
    font["maxp"] = _truetype_maxp(len(glyphs))
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = True


def _truetype_maxp(glyph_count: int) -> object:
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = glyph_count
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    return maxp


def rename_family(font: TTFont) -> None:
    name_table = font["name"]
    for record in list(name_table.names):
        if record.nameID in (1, 3, 4, 16, 17, 6):
            name_table.removeNames(nameID=record.nameID)
    name_table.setName(FAMILY_NAME, 1, 3, 1, 0x409)
    name_table.setName("Regular", 2, 3, 1, 0x409)
    name_table.setName(f"{POSTSCRIPT_NAME};subset", 3, 3, 1, 0x409)
    name_table.setName(FAMILY_NAME, 4, 3, 1, 0x409)
    name_table.setName(POSTSCRIPT_NAME, 6, 3, 1, 0x409)


def main(source: str, output: str) -> None:
    font = open_source_face(Path(source))
    subset_face(font)
    convert_cff_to_glyf(font)
    rename_family(font)
    font.save(output)
    print(f"{output}: {len(font.getGlyphOrder())} glyphs, {Path(output).stat().st_size} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:3])
