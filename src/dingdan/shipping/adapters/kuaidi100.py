"""Kuaidi100 (快递100) subscription pushes, as Kuaidi100 documents them.

The push is an `application/x-www-form-urlencoded` POST with the fields `param` (a JSON
string) and `sign` = uppercase hex MD5 of (param + salt), the salt being the one sent
when subscribing. `param.lastResult` holds the full history, newest first, in
`data[]` (`context`, `time`, `ftime`, and with `resultv2` also `status`, `statusCode`,
`areaName`). The receiver must answer `{"result":true,"returnCode":"200","message":"成功"}`
or Kuaidi100 sends the push again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from dingdan.shipping.adapters.base import (
    ParsedPush,
    PushOnlyCarrier,
    PushReply,
    TrackingEvent,
    TrackingSource,
)
from dingdan.shipping.errors import PushMalformed, PushRejected
from dingdan.shipping.rules import TrackingReason, TrackingStatus

KUAIDI100_CODE = "kuaidi100"
# Kuaidi100 reports mainland China times without an offset.
CHINA_TIME = ZoneInfo("Asia/Shanghai")
SUCCESS_REPLY = {"result": True, "returnCode": "200", "message": "成功"}
FAILURE_REPLY = {"result": False, "returnCode": "500", "message": "失败"}

S = TrackingStatus
R = TrackingReason
Meaning = tuple[TrackingStatus, TrackingReason | None]

# lastResult.state and the basic per-scan status codes.
STATE_MEANING: dict[str, Meaning] = {
    "0": (S.IN_TRANSIT, None),  # 在途
    "1": (S.PICKED_UP, None),  # 揽收
    "2": (S.EXCEPTION, R.OTHER),  # 疑难
    "3": (S.DELIVERED, None),  # 签收
    "4": (S.RETURNED, None),  # 退签
    "5": (S.OUT_FOR_DELIVERY, None),  # 派件
    "6": (S.RETURNING, None),  # 退回
    "7": (S.IN_TRANSIT, R.REROUTED),  # 转投
    "8": (S.IN_TRANSIT, R.CUSTOMS),  # 清关
    "10": (S.IN_TRANSIT, R.CUSTOMS),  # 待清关
    "11": (S.IN_TRANSIT, R.CUSTOMS),  # 清关中
    "12": (S.IN_TRANSIT, None),  # 已清关
    "13": (S.EXCEPTION, R.CUSTOMS),  # 清关异常
    "14": (S.EXCEPTION, R.REFUSED),  # 拒签
}

# The per-scan status names sent with resultv2.
STATUS_NAME_MEANING: dict[str, Meaning] = {
    "在途": STATE_MEANING["0"],
    "揽收": STATE_MEANING["1"],
    "疑难": STATE_MEANING["2"],
    "签收": STATE_MEANING["3"],
    "退签": STATE_MEANING["4"],
    "派件": STATE_MEANING["5"],
    "退回": STATE_MEANING["6"],
    "转投": STATE_MEANING["7"],
    "转单": STATE_MEANING["7"],
    "清关": STATE_MEANING["8"],
    "待清关": STATE_MEANING["10"],
    "清关中": STATE_MEANING["11"],
    "已清关": STATE_MEANING["12"],
    "清关异常": STATE_MEANING["13"],
    "拒签": STATE_MEANING["14"],
    "投柜或驿站": (S.AVAILABLE_FOR_PICKUP, None),
}


def compute_sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode(), usedforsecurity=False).hexdigest().upper()


def verify_sign(param: str, sign: str, salt: str) -> None:
    """Raise PushRejected unless `sign` is MD5(param + salt), as Kuaidi100 computes it."""
    if not salt or not sign:
        raise PushRejected("Kuaidi100 sign or salt missing")
    if not hmac.compare_digest(compute_sign(param, salt).encode(), sign.strip().upper().encode()):
        raise PushRejected("Kuaidi100 sign does not match")


def read_form(raw_body: bytes) -> tuple[str, str]:
    """The `param` and `sign` fields of a form-encoded push body. Without a `param` there
    is nothing signed, so the push is rejected rather than called malformed."""
    try:
        fields = parse_qs(raw_body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as error:
        raise PushRejected("Kuaidi100 push is not UTF-8 form data") from error
    param = fields.get("param", [""])[0]
    if not param:
        raise PushRejected("Kuaidi100 push without param")
    return param, fields.get("sign", [""])[0]


def _scan_meaning(scan: Mapping[str, Any]) -> tuple[Meaning | None, str]:
    for raw in (str(scan.get("statusCode") or ""), str(scan.get("status") or "")):
        meaning = STATE_MEANING.get(raw) or STATUS_NAME_MEANING.get(raw)
        if meaning is not None:
            return meaning, raw
    return None, str(scan.get("statusCode") or scan.get("status") or "")


def _scan_event(
    tracking_number: str, scan: Mapping[str, Any], fallback: Meaning, local_tz: tzinfo
) -> TrackingEvent:
    meaning, raw_code = _scan_meaning(scan)
    status, reason = meaning or fallback
    when = datetime.fromisoformat(str(scan.get("ftime") or scan["time"]))
    return TrackingEvent(
        carrier=KUAIDI100_CODE,
        tracking_number=tracking_number,
        occurred_at=when if when.tzinfo else when.replace(tzinfo=local_tz),
        status=status,
        reason=reason,
        source=TrackingSource.PUSH,
        description=str(scan.get("context") or ""),
        location_text=str(scan.get("areaName") or ""),
        raw_code=raw_code,
    )


def parse_param(param: str, *, local_tz: tzinfo = CHINA_TIME) -> ParsedPush:
    """Read a (verified) push's `param` JSON into dingdan events.

    A scan without its own status takes the parcel's `state` when it is the newest one,
    and `in_transit` otherwise.
    """
    try:
        payload = json.loads(param)
        result = payload["lastResult"]
        tracking_number = str(result["nu"])
        scans = result.get("data") or []
        newest = STATE_MEANING.get(str(result.get("state")), (S.IN_TRANSIT, None))
        events = tuple(
            _scan_event(tracking_number, scan, newest if index == 0 else (S.IN_TRANSIT, None), local_tz)
            for index, scan in enumerate(scans)
        )
    except (ValueError, KeyError, TypeError) as error:
        raise PushMalformed(f"unreadable Kuaidi100 push: {error}") from error
    return ParsedPush(
        carrier=KUAIDI100_CODE,
        tracking_number=tracking_number,
        events=events,
        courier_code=str(result.get("com") or ""),
        provider_gave_up=payload.get("status") == "abort",
        provider_message=str(payload.get("message") or ""),
    )


def reply_body(*, accepted: bool = True) -> bytes:
    """The JSON Kuaidi100 expects back; anything but success makes it push again."""
    return json.dumps(SUCCESS_REPLY if accepted else FAILURE_REPLY, ensure_ascii=False).encode()


class Kuaidi100Receiver(PushOnlyCarrier):
    """Push receiver for Kuaidi100, configured with the subscription salt."""

    code = KUAIDI100_CODE
    display_name = "快递100"

    def __init__(self, *, salt: str, local_tz: tzinfo = CHINA_TIME) -> None:
        self._salt = salt
        self._local_tz = local_tz

    def parse_push(self, headers: Mapping[str, str], raw_body: bytes, now: datetime) -> ParsedPush:
        param, sign = read_form(raw_body)
        verify_sign(param, sign, self._salt)
        return parse_param(param, local_tz=self._local_tz)

    def push_reply(self) -> PushReply:
        return PushReply(content_type="application/json; charset=utf-8", body=reply_body())
