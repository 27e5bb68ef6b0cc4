"""Pure notification rules: the dedupe key of a delivery, the retry back-off schedule and how
a one-time code is masked in the delivery log.

A notification is delivered at least once, so every delivery is keyed by
`dedupe_key(event_id, channel, recipient)`: the delivery log stores the key under a unique
constraint and a retried or redelivered event finds it and sends nothing more.

Retries follow `RetryPolicy`: attempt n (1-based) that failed waits
`min(base × factor^(n−1), max_delay)`, stretched by up to `jitter` of itself so that many
failed deliveries do not return in one burst; after `max_attempts` attempts, or after a
permanent failure, the delivery is given up and shown as failed in the console.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEDUPE_KEY_VERSION = "n1"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    CONSOLE = "console"


def normalise_recipient(channel: Channel, recipient: str) -> str:
    """The recipient as compared for dedupe: e-mail addresses lower-cased, all trimmed."""
    trimmed = recipient.strip()
    if not trimmed:
        raise ValueError("recipient must not be empty")
    return trimmed.lower() if channel is Channel.EMAIL else trimmed


def dedupe_key(event_id: str, channel: Channel | str, recipient: str) -> str:
    """A fixed-length key (`n1:` + 64 hex) naming one delivery of one event to one recipient.

    The parts are length-prefixed before hashing, so no two different triples share a key.
    """
    if not event_id:
        raise ValueError("event_id must not be empty")
    channel = Channel(channel)
    parts = (event_id, channel.value, normalise_recipient(channel, recipient))
    framed = "".join(f"{len(part)}:{part};" for part in parts)
    return f"{DEDUPE_KEY_VERSION}:{hashlib.sha256(framed.encode('utf-8')).hexdigest()}"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    factor: int = 2
    max_delay: timedelta = timedelta(hours=6)
    max_attempts: int = 10
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.factor < 1 or self.max_attempts < 1:
            raise ValueError("retry policy needs a positive base, factor and attempt count")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction between 0 and 1")


DEFAULT_RETRY_POLICY = RetryPolicy()


def retry_delay(attempt: int, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> timedelta:
    """The wait after failed attempt `attempt` (1-based), before jitter."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    delay = min(policy.base, policy.max_delay)
    for _ in range(attempt - 1):
        grown = min(delay * policy.factor, policy.max_delay)
        if grown == delay:
            break
        delay = grown
    return delay


def retry_schedule(policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> list[timedelta]:
    """Every wait between attempts, before jitter: `max_attempts − 1` entries."""
    return [retry_delay(attempt, policy) for attempt in range(1, policy.max_attempts)]


def next_attempt_at(
    failed_at: datetime,
    attempt: int,
    *,
    permanent: bool = False,
    jitter_draw: float = 0.0,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> datetime | None:
    """When to try again after attempt `attempt` failed at `failed_at`, or None to give up.

    `jitter_draw` is a number in [0, 1) drawn by the caller (e.g. `random.random()`), which
    keeps this function deterministic.
    """
    if not 0 <= jitter_draw < 1:
        raise ValueError("jitter_draw is in [0, 1)")
    if permanent or attempt >= policy.max_attempts:
        return None
    delay = retry_delay(attempt, policy)
    return failed_at + delay * (1 + policy.jitter * jitter_draw)


def to_e164(phone: str, *, country_calling_code: str = "886") -> str | None:
    """A phone number as E.164 (`+886912345678`), or None when it cannot be one.

    A leading 0 is the national trunk prefix and gives way to the country calling code.
    """
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        candidate = "+" + digits
    elif digits.startswith("0") and not digits.startswith("00"):
        candidate = f"+{country_calling_code}{digits[1:]}"
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    else:
        candidate = f"+{country_calling_code}{digits}"
    body = candidate[1:]
    if not (8 <= len(body) <= 15) or body.startswith("0"):
        return None
    return candidate


def locale_code(setting: str) -> str:
    """`zh_Hant` (a settings or Babel spelling) as the template locale `zh-Hant`; else `en`."""
    return "zh-Hant" if setting.replace("_", "-").lower().startswith("zh") else "en"


CODE_MASK = "••••"


def masked_code(code: str) -> str:
    """A one-time code as staff may read it in the delivery log: its last two digits only."""
    return CODE_MASK + code[-2:]


def reveal_code(text: str, code: str) -> str:
    """The customer's copy of a logged text: the masked code replaced by the code itself."""
    return text.replace(masked_code(code), code)
