"""Shipping errors, each with a stable code that the API layer turns into a problem type."""

from __future__ import annotations

from dingdan.platform.errors import Conflict, InvalidInput, NotFound


class ShippingError(Exception):
    code = "shipping_error"


class PushRejected(ShippingError):
    """A carrier push that must not be processed. The web layer answers 401 and stores nothing."""

    code = "push_rejected"

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class PushMalformed(ShippingError):
    """A correctly signed push whose body cannot be read. The web layer answers 400."""

    code = "push_malformed"


class CapabilityNotSupported(ShippingError):
    code = "carrier_capability_not_supported"

    def __init__(self, carrier: str, capability: str) -> None:
        super().__init__(f"carrier {carrier!r} cannot {capability}")
        self.carrier = carrier
        self.capability = capability


class UnknownCarrier(ShippingError):
    code = "unknown_carrier"

    def __init__(self, carrier: str) -> None:
        super().__init__(f"no carrier registered under {carrier!r}")
        self.carrier = carrier


class CarrierRefused(ShippingError):
    """The carrier answered and said no (e.g. cancelling a parcel it already collected)."""

    code = "carrier_refused"


class UnknownShipment(ShippingError):
    code = "unknown_shipment"


# Refusals the API shows the caller (problem+json with these codes).


class ShipmentNotFound(NotFound):
    code = "shipment-not-found"
    title = "Shipment not found"


class ExceptionCaseNotFound(NotFound):
    code = "exception-case-not-found"
    title = "Exception case not found"


class ParcelAlreadyCollected(Conflict):
    code = "parcel-already-collected"
    title = "The carrier has the parcel already; it can no longer be cancelled"


class TrackingNumberTaken(Conflict):
    code = "tracking-number-taken"
    title = "Another parcel has this tracking number"


class CaseChangeRefused(InvalidInput):
    code = "exception-case-change-refused"
    title = "This change to the exception case is not allowed"
