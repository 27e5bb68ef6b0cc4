"""Past-tense facts the payments domain records."""

from __future__ import annotations

WEBHOOK_RECEIVED = "payments.webhook_received"  # verified and deduped; processed by a subscriber
