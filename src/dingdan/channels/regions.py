"""Taiwan's counties and cities (縣市), so channel data can name them the official way.

Marketplaces and spreadsheets write 台北市, Taipei City or TAIPEI CITY; the order intake wants
the official name 臺北市. Districts are left to the order review, which knows postal codes.
"""

from __future__ import annotations

from types import MappingProxyType

# Official zh-Hant name and the English name in use since the 2014 municipality changes.
TAIWAN_COUNTIES: tuple[tuple[str, str], ...] = (
    ("臺北市", "Taipei City"),
    ("新北市", "New Taipei City"),
    ("桃園市", "Taoyuan City"),
    ("臺中市", "Taichung City"),
    ("臺南市", "Tainan City"),
    ("高雄市", "Kaohsiung City"),
    ("基隆市", "Keelung City"),
    ("新竹市", "Hsinchu City"),
    ("嘉義市", "Chiayi City"),
    ("新竹縣", "Hsinchu County"),
    ("苗栗縣", "Miaoli County"),
    ("彰化縣", "Changhua County"),
    ("南投縣", "Nantou County"),
    ("雲林縣", "Yunlin County"),
    ("嘉義縣", "Chiayi County"),
    ("屏東縣", "Pingtung County"),
    ("宜蘭縣", "Yilan County"),
    ("花蓮縣", "Hualien County"),
    ("臺東縣", "Taitung County"),
    ("澎湖縣", "Penghu County"),
    ("金門縣", "Kinmen County"),
    ("連江縣", "Lienchiang County"),
)


def _lookup_key(text: str) -> str:
    return " ".join(text.split()).casefold().replace("台", "臺")


def _build_lookup() -> MappingProxyType[str, str]:
    lookup: dict[str, str] = {}
    for official, english in TAIWAN_COUNTIES:
        lookup[_lookup_key(official)] = official
        lookup[_lookup_key(english)] = official
    return MappingProxyType(lookup)


_COUNTY_BY_KEY = _build_lookup()


def find_taiwan_county(text: str | None) -> str | None:
    """The official name of the county or city `text` names, or None when it names none."""
    if not text:
        return None
    return _COUNTY_BY_KEY.get(_lookup_key(text))


def split_county_prefix(text: str) -> tuple[str, str] | None:
    """Split "台北市中正區" into ("臺北市", "中正區"); None when `text` starts with no county."""
    stripped = text.strip()
    county = find_taiwan_county(stripped[:3])
    if county is None:
        return None
    return county, stripped[3:].strip()
