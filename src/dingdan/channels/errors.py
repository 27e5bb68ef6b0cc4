"""Errors raised by the channels domain, each with a stable code the HTTP layer can map."""

from __future__ import annotations


class ChannelError(Exception):
    """Base of every channels error; `code` is stable and safe to show to integrators."""

    code = "channel-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownMarketplaceFormat(ChannelError):
    code = "unknown-marketplace-format"


class MarketplacePayloadError(ChannelError):
    """A signed marketplace payload that cannot be turned into an order."""

    code = "marketplace-payload-invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ImportFileError(ChannelError):
    """The import file as a whole cannot be read (format, encoding, header)."""

    code = "import-file-invalid"


class ImportTooLarge(ImportFileError):
    """The import file is over the byte or row cap; nothing after the cap is read."""

    code = "import-too-large"
