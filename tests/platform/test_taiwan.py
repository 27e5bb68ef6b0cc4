from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingdan.platform.taiwan import (
    AddressProblem,
    District,
    check_address,
    district_for_postal_code,
    districts_for_postal_code,
    find_district,
    list_counties,
    list_districts,
    normalize_county,
    normalize_postal_code,
)

DATA_FILE = Path(__file__).parents[2] / "src/dingdan/platform/taiwan_districts.csv"
ALL_DISTRICTS = [d for county in list_counties() for d in list_districts(county.name)]
SPECIAL_POSTAL_AREAS = {"釣魚臺", "東沙群島", "南沙群島"}
SHARED_POSTAL_CODES = {"300", "600"}


def test_twenty_two_counties_in_five_regions() -> None:
    counties = list_counties()
    assert len(counties) == 22
    assert len({c.name for c in counties}) == 22
    assert {c.region for c in counties} == {"北部", "中部", "南部", "東部", "離島"}
    by_name = {c.name: c for c in counties}
    assert by_name["臺北市"].name_en == "Taipei City"
    assert by_name["花蓮縣"].region_en == "Eastern Taiwan"
    assert {c.name for c in counties if c.region == "離島"} == {"澎湖縣", "金門縣", "連江縣"}


def test_district_count_matches_the_data_file() -> None:
    lines = DATA_FILE.read_text("utf-8").splitlines()
    data_rows = [line for line in lines if not line.startswith("#")]
    assert len(ALL_DISTRICTS) == len(data_rows) - 1  # less the column header
    assert len(ALL_DISTRICTS) == 368 + len(SPECIAL_POSTAL_AREAS)
    assert len(set(ALL_DISTRICTS)) == len(ALL_DISTRICTS)


def test_every_county_has_districts_and_every_district_an_english_name() -> None:
    for county in list_counties():
        assert list_districts(county.name), county.name
    assert all(d.name_en and d.name_en.isascii() for d in ALL_DISTRICTS)


@pytest.mark.parametrize(
    ("code", "county", "district", "name_en"),
    [
        ("100", "臺北市", "中正區", "Zhongzheng District"),
        ("320", "桃園市", "中壢區", "Zhongli District"),
        ("800", "高雄市", "新興區", "Xinxing District"),
        ("970", "花蓮縣", "花蓮市", "Hualien City"),
        ("880", "澎湖縣", "馬公市", "Magong City"),
        ("209", "連江縣", "南竿鄉", "Nangan Township"),
        ("290", "宜蘭縣", "釣魚臺", "Diaoyutai Islands"),
    ],
)
def test_known_districts(code: str, county: str, district: str, name_en: str) -> None:
    expected = District(county, district, name_en, code)
    assert find_district(county, district) == expected
    assert district_for_postal_code(code) == expected


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("台北市", "臺北市"),
        ("臺北", "臺北市"),
        ("  台中 ", "臺中市"),
        ("台東縣", "臺東縣"),
        ("Taipei City", "臺北市"),
        ("new taipei", "新北市"),
        ("KAOHSIUNG", "高雄市"),
        ("Hsinchu County", "新竹縣"),
        ("桃園縣", "桃園市"),
        ("臺北縣", "新北市"),
        ("馬祖", "連江縣"),
        ("\u3000臺南市\u3000", "臺南市"),
    ],
)
def test_normalize_county_accepts_everyday_spellings(written: str, official: str) -> None:
    assert normalize_county(written) == official


@pytest.mark.parametrize("ambiguous_or_unknown", ["新竹", "嘉義", "Hsinchu", "Chiayi", "", "東京都"])
def test_normalize_county_refuses_what_names_none_or_several(ambiguous_or_unknown: str) -> None:
    assert normalize_county(ambiguous_or_unknown) is None


def test_find_district_accepts_tai_variants_short_and_english_names() -> None:
    taixi = find_district("雲林縣", "臺西鄉")
    assert taixi is not None
    assert find_district("雲林", "台西鄉") == taixi
    assert find_district("Yunlin County", "taixi township") == taixi
    assert find_district("台北", "大安") == find_district("臺北市", "大安區")
    assert find_district("屏東縣", "霧台鄉") == find_district("屏東縣", "霧臺鄉")


def test_same_district_name_in_two_counties_stays_apart() -> None:
    taipei = find_district("臺北市", "中正區")
    keelung = find_district("基隆市", "中正區")
    assert taipei is not None and keelung is not None
    assert (taipei.postal_code, keelung.postal_code) == ("100", "202")
    assert find_district("臺北市", "七堵區") is None


def test_unknown_county_has_no_districts() -> None:
    assert list_districts("東京都") == []
    assert find_district("東京都", "中正區") is None


@pytest.mark.parametrize(
    ("code", "district"),
    [("10001", "中正區"), ("320001", "中壢區"), ("800-01", "新興區"), ("８８０", "馬公市")],
)
def test_postal_code_lookup_by_first_three_digits(code: str, district: str) -> None:
    found = district_for_postal_code(code)
    assert found is not None and found.name == district


@pytest.mark.parametrize("code", ["", "10", "1000", "1000001", "abc", "999", "00000"])
def test_postal_code_lookup_rejects_bad_or_unknown_codes(code: str) -> None:
    assert district_for_postal_code(code) is None
    assert districts_for_postal_code(code) == []


def test_shared_postal_codes_list_every_district() -> None:
    assert {d.name for d in districts_for_postal_code("30041")} == {"東區", "北區", "香山區"}
    assert {d.name for d in districts_for_postal_code("600")} == {"東區", "西區"}
    assert district_for_postal_code("600") is None


def test_normalize_postal_code() -> None:
    assert normalize_postal_code(" 100-01 ") == "10001"
    assert normalize_postal_code("100 001") == "100001"
    assert normalize_postal_code("1OO") is None


@pytest.mark.parametrize(
    ("county", "district", "postal_code", "problems"),
    [
        ("臺北市", "中正區", "100", []),
        ("台北市", "中正區", "10001", []),
        ("臺北市", "中正區", None, []),
        ("臺北市", "中正區", "  ", []),
        ("新竹縣", "寶山鄉", "30093", []),  # some 寶山鄉 streets carry 新竹市's prefix
        ("臺北市", "中正區", "202", ["postal_code_mismatch"]),
        ("臺北市", "中正區", "1000", ["postal_code_invalid"]),
        ("臺北市", "中正區", "999", ["postal_code_invalid"]),
        ("臺北市", "板橋區", "220", ["unknown_district"]),
        ("東京都", "中正區", "100", ["unknown_county"]),
        ("新竹", "東區", "300", ["unknown_county"]),
        ("東京都", "新宿區", "160-0022", ["unknown_county", "postal_code_invalid"]),
    ],
)
def test_check_address(county: str, district: str, postal_code: str | None, problems: list[str]) -> None:
    assert check_address(county, district, postal_code) == problems


def test_problem_codes_are_plain_strings() -> None:
    assert AddressProblem.POSTAL_CODE_MISMATCH == "postal_code_mismatch"
    assert set(AddressProblem) == {
        "unknown_county",
        "unknown_district",
        "postal_code_mismatch",
        "postal_code_invalid",
    }


@given(district=st.sampled_from(ALL_DISTRICTS), suffix=st.sampled_from(["", "00", "41", "412"]))
def test_every_district_round_trips_through_its_postal_code(district: District, suffix: str) -> None:
    code = district.postal_code + suffix
    assert district in districts_for_postal_code(code)
    if district.postal_code in SHARED_POSTAL_CODES:
        assert district_for_postal_code(code) is None
    else:
        assert district_for_postal_code(code) == district
    assert check_address(district.county, district.name, code) == []


@given(district=st.sampled_from(ALL_DISTRICTS))
def test_every_district_is_found_by_its_own_names(district: District) -> None:
    assert find_district(district.county, district.name) == district
    assert find_district(district.county, district.name_en.upper()) == district
    assert find_district(district.county.replace("臺", "台"), district.name) == district
