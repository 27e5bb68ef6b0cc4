"""Payment errors, each with a stable `code` (the problem type) and the HTTP `status` it maps to.

They are the platform's domain errors, so the web layer renders them as problem+json.
"""

from __future__ import annotations

from decimal import Decimal

from dingdan.platform.errors import DomainError


class PaymentError(DomainError):
    """A payment rule or a payment provider refused the request."""

    code = "payment-error"
    status = 400
    title = "Payment refused"


class InvalidAmount(PaymentError):
    code = "invalid-amount"
    status = 422
    title = "Invalid amount"


class RefundExceedsCaptured(PaymentError):
    """The refund asked for is larger than what is still refundable."""

    code = "refund-exceeds-captured"
    status = 409
    title = "Refund exceeds the captured amount"

    def __init__(self, requested: Decimal, refundable: Decimal) -> None:
        super().__init__(
            "refund of {requested} exceeds the refundable {refundable}",
            field="amount",
            params={"requested": requested, "refundable": refundable},
            refundable=str(refundable),
        )
        self.requested = requested
        self.refundable = refundable


class IdempotencyKeyReused(PaymentError):
    """The same idempotency key came back with different parameters."""

    code = "idempotency-key-reused"
    status = 422
    title = "Idempotency key reused with other parameters"


class UnknownProvider(PaymentError):
    code = "unknown-payment-provider"
    status = 404
    title = "Unknown payment provider"


class UnknownPayment(PaymentError):
    code = "unknown-payment"
    status = 404
    title = "Unknown payment"


class PaymentNotRefundable(PaymentError):
    """Only a captured (succeeded) payment can be refunded."""

    code = "payment-not-refundable"
    status = 409
    title = "Payment cannot be refunded"


class ProviderUnavailable(PaymentError):
    """The provider refused or could not be reached; nothing was performed. Safe to retry."""

    code = "payment-provider-unavailable"
    status = 502
    title = "Payment provider unavailable"


class ProviderTimeout(PaymentError):
    """No answer in time: the action may or may not have been performed.

    Retry with the SAME idempotency key; the provider then returns the original result.
    """

    code = "payment-provider-timeout"
    status = 504
    title = "Payment provider timed out"


class WebhookRejected(PaymentError):
    """A provider webhook that must not be processed; nothing may be written for it."""

    code = "webhook-rejected"
    status = 400
    title = "Webhook rejected"


class WebhookSignatureInvalid(WebhookRejected):
    """Missing signature headers, wrong signature or secret, or a timestamp out of tolerance."""

    code = "webhook-signature-invalid"
    status = 401
    title = "Webhook signature invalid"


class WebhookMalformed(WebhookRejected):
    """A header or the body could not be parsed."""

    code = "webhook-malformed"
    status = 400
    title = "Webhook malformed"
