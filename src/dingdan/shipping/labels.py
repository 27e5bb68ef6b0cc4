"""What a parcel label shows, and what a customer is told about a parcel problem.

Public tracking shows no more than a label: a masked name, the city and district, the
status and the scans. Pure functions, no I/O.
"""

from __future__ import annotations

MASK = "＊"

# What the customer is told when a case opens, by cause (a scan's reason or a stuck rule).
# The merchant may rewrite it on the case.
CUSTOMER_NOTICES: dict[str, str] = {
    "address_issue": "物流公司反映收件地址有誤，客服將與您聯繫確認地址。",
    "recipient_unavailable": "配送時未能聯繫到您，物流公司將再次配送。",
    "refused": "包裹遭拒收，將退回商店；如有疑問請聯繫客服。",
    "delayed": "包裹配送延遲，我們正與物流公司確認，造成不便敬請見諒。",
    "damaged": "包裹於運送途中受損，我們將為您安排補寄或退款，客服將與您聯繫。",
    "lost": "包裹於運送途中遺失，我們將為您安排補寄或退款，客服將與您聯繫。",
    "pickup_not_collected": "包裹逾期未取，將退回商店；如需重新寄送請聯繫客服。",
    "returning": "包裹正在退回商店，如有疑問請聯繫客服。",
    "returned": "包裹已退回商店，客服將與您聯繫後續處理。",
}
DEFAULT_NOTICE = "您的包裹配送狀況需要確認，我們正在處理中；如有疑問請聯繫客服。"


def customer_notice(cause: str) -> str:
    return CUSTOMER_NOTICES.get(cause, DEFAULT_NOTICE)


def mask_name(name: str) -> str:
    """王小明 -> 王＊明, 王明 -> 王＊, John Smith -> J＊＊＊ S＊＊＊＊: enough for the
    recipient to recognise the parcel, not enough to learn who it is for."""
    words = name.split()
    if len(words) > 1:
        return " ".join(word[0] + MASK * (len(word) - 1) for word in words)
    text = name.strip()
    if len(text) <= 1:
        return MASK
    if len(text) == 2:
        return text[0] + MASK
    return text[0] + MASK * (len(text) - 2) + text[-1]


def phone_suffix_matches(phone: str, last4: str) -> bool:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return len(last4) == 4 and digits.endswith(last4)
