"""Photo checks for 曬單 and return evidence: real image content within size and pixel caps,
re-encoded from pixels so no metadata (EXIF, GPS, comments) or trailing bytes survive."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from dingdan.aftersales.errors import NotAnImage, PhotoTooLarge

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    max_side: int


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def prepare_photo(data: bytes, limits: PhotoLimits) -> PreparedPhoto:
    """Check `data` is a JPEG, PNG or WebP within the caps; return it re-encoded, shrunk to
    `max_side`. Raises PhotoTooLarge (413) or NotAnImage (415)."""
    if len(data) > limits.max_bytes:
        raise PhotoTooLarge(
            "a photo may be at most {max_bytes} bytes", params={"max_bytes": limits.max_bytes}, field="photo"
        )
    _verify(data, limits)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    upright.thumbnail((limits.max_side, limits.max_side))
    return _encode(upright)


def _verify(data: bytes, limits: PhotoLimits) -> None:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise NotAnImage(
                    "{format} images are not accepted", params={"format": probe.format}, field="photo"
                )
            width, height = probe.size
            if width * height > limits.max_pixels:
                raise PhotoTooLarge(
                    "a photo may have at most {max_pixels} pixels",
                    params={"max_pixels": limits.max_pixels},
                    field="photo",
                )
            probe.verify()
    except Image.DecompressionBombError as exc:
        raise PhotoTooLarge(
            "a photo may have at most {max_pixels} pixels",
            params={"max_pixels": limits.max_pixels},
            field="photo",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage("the file is not a readable JPEG, PNG or WebP image", field="photo") from exc


def _encode(image: Image.Image) -> PreparedPhoto:
    out = io.BytesIO()
    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
        content_type, extension = "image/png", "png"
    else:
        image = image.convert("RGB")
        image.save(out, format="JPEG", quality=85, optimize=True)
        content_type, extension = "image/jpeg", "jpg"
    return PreparedPhoto(out.getvalue(), content_type, extension, image.width, image.height)
