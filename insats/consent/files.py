"""Uploaded consent scans: checks on the upload (a size limit and the file's real type, not its
name) and storage that follows the database.

A signed consent must not be lost to a rolled-back write. So a new scan is always written under
a new, unique name before the row names it, and the file it replaces is removed only after the
transaction commits. A rollback leaves the row naming the old file, which is still there; the
new file is then an orphan, removed at once when the failure is seen here, otherwise by the
daily `clean_orphan_files` job.
"""

import logging
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MAX_SCAN_BYTES = 10 * 1024 * 1024
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


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


def scan_name(consent_pk: int, content_type: str) -> str:
    """A name no earlier scan had: the file being replaced is never overwritten in place."""
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    return f"samtycke-{consent_pk}-{stamp}-{secrets.token_hex(4)}{EXTENSIONS[content_type]}"


def write_new(field_file, name: str, upload) -> str:
    """Write `upload` as a new file of `field_file`'s field (the row is not saved); the name
    the storage chose."""
    field_file.save(name, upload, save=False)
    return field_file.name


def discard(storage, name: str) -> None:
    """Remove a file now; a failure is logged (the clean-up job will find it) and not raised,
    so it never hides the error that made the file unwanted."""
    try:
        storage.delete(name)
    except Exception:
        logger.exception("Could not remove file %s", name)


def remove_after_commit(storage, name: str) -> None:
    """Remove a file the row no longer names, once the transaction that stopped naming it has
    committed; on rollback the row still names it and it stays."""
    if name:
        transaction.on_commit(lambda: discard(storage, name), robust=True)
