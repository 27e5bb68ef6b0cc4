"""Past-tense facts the shipping domain records (aggregate "shipment" or "exception_case")."""

from __future__ import annotations

SHIPMENT_CREATED = "shipping.shipment_created"
PARCEL_STATUS_CHANGED = "shipping.parcel_status_changed"
PARCEL_STUCK = "shipping.parcel_stuck"
CASE_OPENED = "shipping.exception_case_opened"
CASE_UPDATED = "shipping.exception_case_updated"
PUSH_RECEIVED = "shipping.push_received"  # a verified carrier push, processed by a subscriber
