"""Notification errors: domain errors with a stable `code`, rendered as problem+json."""

from __future__ import annotations

from collections.abc import Mapping

from dingdan.platform.errors import DomainError


class NotificationError(DomainError):
    code = "notification-error"
    status = 400
    title = "Notification refused"


class DeliveryFailed(NotificationError):
    """A channel could not deliver a message.

    `permanent` says a retry cannot help (the address or number was refused); otherwise the
    delivery is retried on the back-off schedule of `notifications.rules`.
    """

    code = "notification-delivery-failed"
    status = 502
    title = "Notification not delivered"

    def __init__(self, detail: str, *, permanent: bool, params: Mapping[str, object] | None = None) -> None:
        super().__init__(detail, params=params)
        self.permanent = permanent


class UnknownTemplate(NotificationError):
    code = "notification-template-unknown"
    status = 404
    title = "Unknown message template"


class MissingTemplateField(NotificationError):
    """The context given to a template lacks fields the template needs."""

    code = "notification-template-field-missing"
    status = 422
    title = "Message template field missing"

    def __init__(self, missing: list[str]) -> None:
        fields = ", ".join(missing)
        super().__init__("missing template field(s): {fields}", field=missing[0], params={"fields": fields})
        self.missing = missing


class InvalidRecipient(NotificationError):
    code = "notification-recipient-invalid"
    status = 422
    title = "Invalid recipient"


class DeliveryNotFound(NotificationError):
    code = "notification-delivery-not-found"
    status = 404
    title = "Delivery not found"
