"""Taiwan's administrative divisions as reference data.

22 counties and cities (縣市) with their region, and every district or township (鄉鎮市區) with its
3-digit postal code: the 368 administrative districts plus the three special postal areas
釣魚臺 (290), 東沙群島 (817) and 南沙群島 (819). The districts come from `taiwan_districts.csv`
beside this module, whose header names its sources.

Two postal codes are shared by several districts of one city: 300 (新竹市 東區, 北區, 香山區) and
600 (嘉義市 東區, 西區). Some streets also carry a neighbouring district's prefix (e.g. parts of
新竹縣 寶山鄉 use 300); `check_address` accepts those.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import TypeVar

__all__ = [
    "AddressProblem",
    "County",
    "District",
    "check_address",
    "district_for_postal_code",
    "districts_for_postal_code",
    "find_district",
    "list_counties",
    "list_districts",
    "normalize_county",
    "normalize_postal_code",
]


@dataclass(frozen=True)
class County:
    name: str
    name_en: str
    region: str
    region_en: str


@dataclass(frozen=True)
class District:
    county: str
    name: str
    name_en: str
    postal_code: str


class AddressProblem(StrEnum):
    UNKNOWN_COUNTY = "unknown_county"
    UNKNOWN_DISTRICT = "unknown_district"
    POSTAL_CODE_MISMATCH = "postal_code_mismatch"
    POSTAL_CODE_INVALID = "postal_code_invalid"


_REGIONS_EN = {
    "北部": "Northern Taiwan",
    "中部": "Central Taiwan",
    "南部": "Southern Taiwan",
    "東部": "Eastern Taiwan",
    "離島": "Outlying Islands",
}

# Ordered by region, then by postal code: the order of an address form's county list.
_COUNTY_ROWS = (
    ("臺北市", "Taipei City", "北部"),
    ("基隆市", "Keelung City", "北部"),
    ("新北市", "New Taipei City", "北部"),
    ("宜蘭縣", "Yilan County", "北部"),
    ("新竹市", "Hsinchu City", "北部"),
    ("新竹縣", "Hsinchu County", "北部"),
    ("桃園市", "Taoyuan City", "北部"),
    ("苗栗縣", "Miaoli County", "中部"),
    ("臺中市", "Taichung City", "中部"),
    ("彰化縣", "Changhua County", "中部"),
    ("南投縣", "Nantou County", "中部"),
    ("雲林縣", "Yunlin County", "中部"),
    ("嘉義市", "Chiayi City", "南部"),
    ("嘉義縣", "Chiayi County", "南部"),
    ("臺南市", "Tainan City", "南部"),
    ("高雄市", "Kaohsiung City", "南部"),
    ("屏東縣", "Pingtung County", "南部"),
    ("臺東縣", "Taitung County", "東部"),
    ("花蓮縣", "Hualien County", "東部"),
    ("連江縣", "Lienchiang County", "離島"),
    ("澎湖縣", "Penghu County", "離島"),
    ("金門縣", "Kinmen County", "離島"),
)

# Names still found in address books: counties merged into or renamed as today's cities
# (2010 and 2014), and the everyday name of 連江縣.
_FORMER_COUNTY_NAMES = {
    "臺北縣": "新北市",
    "桃園縣": "桃園市",
    "臺中縣": "臺中市",
    "臺南縣": "臺南市",
    "高雄縣": "高雄市",
    "馬祖": "連江縣",
    "Matsu": "連江縣",
}

_SUFFIXES = ("市", "縣", "區", "鄉", "鎮", " city", " county", " district", " township")
_POSTAL_CODE_LENGTHS = (3, 5, 6)

_T = TypeVar("_T")


def _key(text: str) -> str:
    """Comparison form of a name: 台 and 臺 alike, case, width, spaces and punctuation ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("台", "臺")
    return "".join(char for char in folded if char.isalnum())


def _short_forms(name: str) -> list[str]:
    lowered = name.casefold()
    return [name[: -len(suffix)] for suffix in _SUFFIXES if lowered.endswith(suffix)]


def _build_alias_index(items: Iterable[_T], names_of: Callable[[_T], list[str]]) -> dict[str, _T]:
    """Full names first; a name without its 市/縣/區/鄉/鎮 suffix only where it names one item."""
    items = list(items)
    index = {_key(name): item for item in items for name in names_of(item)}
    short_owners: dict[str, set[int]] = defaultdict(set)
    for position, item in enumerate(items):
        for name in names_of(item):
            for short in _short_forms(name):
                short_owners[_key(short)].add(position)
    for short, owners in short_owners.items():
        if len(owners) == 1 and short and short not in index:
            index[short] = items[owners.pop()]
    return index


def _load_districts() -> list[tuple[District, frozenset[str]]]:
    text = resources.files(__package__).joinpath("taiwan_districts.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return [
        (
            District(row["county"], row["district"], row["district_en"], row["postal_code"]),
            frozenset(row["other_postal_codes"].split()),
        )
        for row in csv.DictReader(lines)
    ]


_COUNTIES = tuple(County(name, en, region, _REGIONS_EN[region]) for name, en, region in _COUNTY_ROWS)
_COUNTY_INDEX = _build_alias_index(_COUNTIES, lambda county: [county.name, county.name_en])
_COUNTY_INDEX.update(
    {_key(former): _COUNTY_INDEX[_key(name)] for former, name in _FORMER_COUNTY_NAMES.items()}
)

_DISTRICTS_BY_COUNTY: dict[str, list[District]] = {}
_DISTRICTS_BY_POSTAL_CODE: dict[str, list[District]] = {}
_ACCEPTED_POSTAL_CODES: dict[District, frozenset[str]] = {}
for _district, _other_codes in _load_districts():
    _DISTRICTS_BY_COUNTY.setdefault(_district.county, []).append(_district)
    _DISTRICTS_BY_POSTAL_CODE.setdefault(_district.postal_code, []).append(_district)
    _ACCEPTED_POSTAL_CODES[_district] = _other_codes | {_district.postal_code}
_DISTRICT_INDEX = {
    county: _build_alias_index(districts, lambda district: [district.name, district.name_en])
    for county, districts in _DISTRICTS_BY_COUNTY.items()
}


def normalize_county(name: str) -> str | None:
    """The official name of a county or city (`臺北市`), or None when it names none or several.

    Accepts 台/臺, names without 市/縣 where only one county fits ("新竹" fits two), English
    names in any case, full-width characters and surrounding spaces.
    """
    county = _COUNTY_INDEX.get(_key(name))
    return county.name if county else None


def list_counties() -> list[County]:
    return list(_COUNTIES)


def list_districts(county: str) -> list[District]:
    """The county's districts by postal code; empty when the county is unknown."""
    official = normalize_county(county)
    return list(_DISTRICTS_BY_COUNTY[official]) if official else []


def find_district(county: str, district: str) -> District | None:
    """The district named (台/臺, English, or without its 區/鄉/鎮/市 where unambiguous)."""
    official = normalize_county(county)
    if official is None:
        return None
    return _DISTRICT_INDEX[official].get(_key(district))


def normalize_postal_code(code: str) -> str | None:
    """The digits of a 3, 5 or 6 digit postal code ("100-01" gives "10001"), else None."""
    digits = unicodedata.normalize("NFKC", code).strip().replace("-", "").replace(" ", "")
    if len(digits) in _POSTAL_CODE_LENGTHS and digits.isascii() and digits.isdigit():
        return digits
    return None


def districts_for_postal_code(code: str) -> list[District]:
    """Every district whose 3-digit code starts `code`: two for 600, three for 300."""
    digits = normalize_postal_code(code)
    return list(_DISTRICTS_BY_POSTAL_CODE.get(digits[:3], [])) if digits else []


def district_for_postal_code(code: str) -> District | None:
    """The one district of a 3, 5 or 6 digit code; None when unknown or shared (300, 600)."""
    districts = districts_for_postal_code(code)
    return districts[0] if len(districts) == 1 else None


def check_address(county: str, district: str, postal_code: str | None) -> list[str]:
    """Problems that make an address undeliverable, as `AddressProblem` codes; empty when none.

    A blank postal code is not checked. A code is invalid when it is not 3, 5 or 6 digits or
    belongs to no district, and a mismatch when it belongs to another district.
    """
    problems: list[str] = []
    found = None
    if normalize_county(county) is None:
        problems.append(AddressProblem.UNKNOWN_COUNTY)
    else:
        found = find_district(county, district)
        if found is None:
            problems.append(AddressProblem.UNKNOWN_DISTRICT)
    if postal_code is None or not postal_code.strip():
        return problems
    digits = normalize_postal_code(postal_code)
    if digits is None or digits[:3] not in _DISTRICTS_BY_POSTAL_CODE:
        problems.append(AddressProblem.POSTAL_CODE_INVALID)
    elif found is not None and digits[:3] not in _ACCEPTED_POSTAL_CODES[found]:
        problems.append(AddressProblem.POSTAL_CODE_MISMATCH)
    return problems
