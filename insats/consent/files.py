"""Checks on uploaded consent scans: a size limit and the file's real type, not its name."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_SCAN_BYTES = 10 * 1024 * 1024
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def validate_scan(upload) -> str:
    """The content type read from the file's first bytes; ValidationError otherwise."""
    if upload.size > MAX_SCAN_BYTES:
        raise ValidationError(
            {"scan": _("Filen är för stor (högst %(mb)s MB).") % {"mb": MAX_SCAN_BYTES // 2**20}}
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    raise ValidationError({"scan": _("Filen måste vara en PDF, JPEG eller PNG.")})
