"""Enqueue outbound e-mail: a row in the caller's transaction, never a call to a mail server.

Use inside the transaction of the change the e-mail reports, together with any "reminded"
bookkeeping: the row, the bookkeeping and the change commit or roll back together, and
jobs.deliver sends it after commit. The key names the notice deterministically (the reminder
and its day, the invitation and its calendar sequence), so enqueueing it again — a job run that
died and reruns, an overlapping run — is a no-op.
"""

from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction

from .models import OutboundAttachment, OutboundMessage


class Attachment(NamedTuple):
    filename: str
    content: bytes
    # With parameters where the part needs them: "text/calendar; method=REQUEST; charset=utf-8"
    content_type: str


def enqueue(
    *,
    key: str,
    to: Iterable[str],
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
    from_email: str | None = None,
) -> bool:
    """Write the message for delivery after commit; False when the key was enqueued before."""
    recipients = [address for address in to if address]
    if not recipients:
        raise ValueError("an outbound message needs a recipient")
    if OutboundMessage.objects.filter(key=key).exists():
        return False
    try:
        with transaction.atomic():  # a savepoint: a concurrent enqueue of the key loses here
            message = OutboundMessage.objects.create(
                key=key,
                to=recipients,
                from_email=from_email or settings.DEFAULT_FROM_EMAIL,
                subject=subject,
                body=body,
            )
            OutboundAttachment.objects.bulk_create(
                OutboundAttachment(
                    message=message,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    content=bytes(attachment.content),
                )
                for attachment in attachments
            )
    except IntegrityError:
        return False
    return True
