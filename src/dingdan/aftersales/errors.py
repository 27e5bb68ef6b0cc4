"""After-sales errors, each with a stable code."""

from __future__ import annotations

from dingdan.platform.errors import Conflict, DomainError, InvalidInput, NotFound


class RequestNotFound(NotFound):
    code = "aftersales-request-not-found"
    title = "After-sales request not found"


class RequestStepRefused(Conflict):
    code = "aftersales-step-refused"
    title = "The request's status does not allow this"


class OutsidePolicy(Conflict):
    code = "aftersales-outside-policy"
    title = "The order is not eligible for this after-sales request"


class QuantityExceeded(InvalidInput):
    code = "aftersales-quantity-exceeded"
    title = "More items than were bought (or already asked for)"


class ReviewNotFound(NotFound):
    code = "review-not-found"
    title = "Review not found"


class AlreadyReviewed(Conflict):
    code = "review-exists"
    title = "This item has been reviewed already"


class PhotoNotFound(NotFound):
    code = "photo-not-found"
    title = "Photo not found"


class NotAnImage(DomainError):
    code = "photo-not-an-image"
    status = 415
    title = "The upload is not a JPEG, PNG or WebP image"


class PhotoTooLarge(DomainError):
    code = "photo-too-large"
    status = 413
    title = "The photo is too large"


class TooManyPhotos(Conflict):
    code = "photo-limit-reached"
    title = "No more photos may be added"
