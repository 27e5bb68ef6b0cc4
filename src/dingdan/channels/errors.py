"""Errors raised by the channels domain, each with a stable code the HTTP layer can map."""

from __future__ import annotations

from collections.abc import Mapping

from dingdan.platform.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthorized


class ChannelNotFound(NotFound):
    code = "channel-not-found"
    title = "Channel not found"


class ApiKeyNotFound(NotFound):
    code = "api-key-not-found"
    title = "API key not found"


class ImportJobNotFound(NotFound):
    code = "import-job-not-found"
    title = "Import job not found"


class ChannelInactive(InvalidInput):
    code = "channel-inactive"
    title = "Channel does not take orders"


class DuplicateChannel(Conflict):
    code = "duplicate-channel"
    title = "Channel code already exists"


class ChannelError(DomainError):
    """Base of the intake errors; `code` is stable and safe to show to integrators."""

    code = "channel-error"
    status = 422
    title = "Channel intake refused"

    def __init__(
        self, message: str, *, field: str | None = None, params: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message, field=field, params=params)
        self.message = self.detail


class UnknownMarketplaceFormat(ChannelError):
    code = "unknown-marketplace-format"
    status = 404


class MarketplacePayloadError(ChannelError):
    """A signed marketplace payload that cannot be turned into an order."""

    code = "marketplace-payload-invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__("{field}: {message}", field=field, params={"field": field, "message": message})


class ImportFileError(ChannelError):
    """The import file as a whole cannot be read (format, encoding, header)."""

    code = "import-file-invalid"


class ImportTooLarge(ImportFileError):
    """The import file is over the byte or row cap; nothing after the cap is read."""

    code = "import-too-large"
    status = 413


class WebhookSignatureInvalid(Unauthorized):
    """The delivery's signature is missing or matches none of the channel's secrets."""

    code = "webhook-signature-invalid"
    title = "Webhook signature missing or wrong"
