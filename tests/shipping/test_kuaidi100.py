from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest

from dingdan.shipping.adapters.kuaidi100 import (
    STATE_MEANING,
    Kuaidi100Receiver,
    compute_sign,
    parse_param,
)
from dingdan.shipping.errors import PushMalformed, PushRejected
from dingdan.shipping.rules import TrackingReason, TrackingStatus

S = TrackingStatus
FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_PARAM = (FIXTURES / "kuaidi100_push_param.json").read_text(encoding="utf-8").strip()
DELIVERED_PARAM = (FIXTURES / "kuaidi100_push_delivered_param.json").read_text(encoding="utf-8").strip()
SALT = "dingdan-salt"
NOW = datetime(2012, 8, 30, 3, 0, tzinfo=UTC)


def form(param: str, sign: str | None) -> bytes:
    fields = {"param": param} if sign is None else {"param": param, "sign": sign}
    return urlencode(fields).encode()


def test_sign_is_uppercase_md5_of_param_and_salt():
    # md5("abcsalt") computed independently.
    assert compute_sign("abc", "salt") == "1E21F6DA01C5047E4BF45B0496BD6937"


def test_documented_sample_becomes_dingdan_events():
    receiver = Kuaidi100Receiver(salt=SALT)
    parsed = receiver.parse_push({}, form(SAMPLE_PARAM, compute_sign(SAMPLE_PARAM, SALT)), NOW)
    assert parsed.tracking_number == "V030344422"
    assert parsed.courier_code == "yuantong"
    newest, older = parsed.events
    assert newest.status is S.IN_TRANSIT and newest.raw_code == "在途"
    assert newest.occurred_at == datetime(2012, 8, 28, 8, 33, 19, tzinfo=UTC)
    assert newest.location_text == "上海市"
    assert older.description.startswith("上海分拨中心/下车扫描")


def test_scans_carry_their_own_status_with_resultv2():
    parsed = parse_param(DELIVERED_PARAM)
    assert [e.status for e in parsed.events] == [
        S.DELIVERED,
        S.OUT_FOR_DELIVERY,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
    ]


def test_scans_without_their_own_status_take_the_parcel_state_when_newest():
    payload = json.loads(DELIVERED_PARAM)
    for scan in payload["lastResult"]["data"]:
        del scan["status"]
    parsed = parse_param(json.dumps(payload, ensure_ascii=False))
    assert [e.status for e in parsed.events] == [S.DELIVERED] + [S.IN_TRANSIT] * 3


def test_full_history_resend_adds_only_new_scans():
    earlier = {e.dedupe_key for e in parse_param(SAMPLE_PARAM).events}
    later = parse_param(DELIVERED_PARAM).events
    new = [e for e in later if e.dedupe_key not in earlier]
    assert [e.description[:4] for e in new] == ["客户 签", "北京朝阳"]


def test_abort_means_the_provider_gave_up():
    payload = json.loads(SAMPLE_PARAM) | {"status": "abort", "message": "3天查询无记录"}
    parsed = parse_param(json.dumps(payload, ensure_ascii=False))
    assert parsed.provider_gave_up and parsed.provider_message == "3天查询无记录"


@pytest.mark.parametrize(
    "body",
    [
        form(SAMPLE_PARAM, None),
        form(SAMPLE_PARAM, compute_sign(SAMPLE_PARAM, "other-salt")),
        form(SAMPLE_PARAM.replace("V030344422", "V030344423"), compute_sign(SAMPLE_PARAM, SALT)),
        b"sign=ABC",
        b"\xff\xfe",
    ],
)
def test_badly_signed_push_is_rejected(body):
    with pytest.raises(PushRejected):
        Kuaidi100Receiver(salt=SALT).parse_push({}, body, NOW)


def test_lowercase_sign_is_accepted():
    body = form(SAMPLE_PARAM, compute_sign(SAMPLE_PARAM, SALT).lower())
    assert Kuaidi100Receiver(salt=SALT).parse_push({}, body, NOW).tracking_number == "V030344422"


def test_signed_but_unreadable_param_is_malformed():
    param = '{"lastResult": {}}'
    with pytest.raises(PushMalformed):
        Kuaidi100Receiver(salt=SALT).parse_push({}, form(param, compute_sign(param, SALT)), NOW)


def test_success_reply_is_the_documented_json():
    reply = Kuaidi100Receiver(salt=SALT).push_reply()
    assert reply.status_code == 200
    assert json.loads(reply.body) == {"result": True, "returnCode": "200", "message": "成功"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("1", (S.PICKED_UP, None)),
        ("3", (S.DELIVERED, None)),
        ("4", (S.RETURNED, None)),
        ("5", (S.OUT_FOR_DELIVERY, None)),
        ("6", (S.RETURNING, None)),
        ("7", (S.IN_TRANSIT, TrackingReason.REROUTED)),
        ("14", (S.EXCEPTION, TrackingReason.REFUSED)),
    ],
)
def test_state_table(state, expected):
    assert STATE_MEANING[state] == expected
