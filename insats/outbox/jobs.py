"""Deliver the outbox: claim due messages briefly, send them outside any transaction, record.

1. Claim, in a short transaction: due messages (pending and due, or claimed by a run whose
   lease ran out — a process killed between claim and delivery) get status "sending" and a
   lease (claimed_until). On PostgreSQL the rows are read FOR UPDATE SKIP LOCKED, so two runs
   take different messages; on SQLite the IMMEDIATE transactions serialise. Each row is taken
   with a compare-and-set on the status and lease read, so two runs never both take one.
2. Send, after commit and holding no row lock, with Django's mail backend (EMAIL_TIMEOUT
   bounds every call). The Message-ID is derived from the key, the same on every attempt.
3. Record: sent; or the error, one attempt more and the next attempt after a back-off. A
   mailbox refused for good (5xx for every recipient) is retried a few times, then marked
   failed and logged; a server that cannot be reached fails the whole batch for a later retry.
   One message failing never stops the others.

Exactly once, and its limit: a message is claimed by one run at a time and marked sent only by
the run that holds its lease, so concurrent runs and a run killed before sending deliver it
once. A process killed after the server accepted a message but before "sent" was written will
send it again when the lease runs out (the outbox pattern's at-least-once window, a few
milliseconds wide); the repeated Message-ID lets the receiving side recognise the duplicate.
"""

import contextlib
import hashlib
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboundMessage

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # longer than a batch can take with EMAIL_TIMEOUT on every call
BATCH = 50
BACKOFF_MINUTES = (1, 5, 15, 60, 240)  # then every four hours
MAX_ATTEMPTS = 30  # about five days of a mail server that cannot be reached
MAX_REFUSED_ATTEMPTS = 3  # a mailbox refused for good (5xx): a few more tries, then failed
KEEP = timedelta(days=30)  # sent and failed messages are deleted after this (personal data)


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0  # failed this time, another attempt is scheduled
    failed: int = 0  # given up this time
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed

    def __str__(self) -> str:
        return f"{self.sent} skickade, {self.retrying} försöks igen, {self.failed} misslyckade"


class DeliveryFailed(Exception):
    """Raised by the scheduled runs after every due message was tried, when some failed."""


def deliver(now=None, limit: int = BATCH) -> DeliveryResult:
    """Send up to `limit` due messages once; see the module docstring."""
    now = now or timezone.now()
    result = DeliveryResult()
    claimed = _claim(now, limit)
    if not claimed:
        return result
    mail = get_connection(fail_silently=False)
    try:
        for index, (message, lease) in enumerate(claimed):
            try:
                mail.open()  # kept open across the batch; reopened after a server error
                mail.send_messages([_email(message, mail)])
            except Exception as exc:  # one message's failure is recorded, not raised
                if _server_level(exc):
                    # The server cannot be reached (or refuses us): every message of the batch
                    # failed this attempt; no point in waiting out the timeout for each.
                    for rest, rest_lease in claimed[index:]:
                        _record_failure(rest, rest_lease, now, exc, permanent=False, into=result)
                    break
                _record_failure(message, lease, now, exc, permanent=_refused(exc), into=result)
            else:
                _record_sent(message, lease)
                result.sent += 1
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):  # gone already
            mail.close()
    return result


def deliver_due(now=None, *, batches: int = 20) -> DeliveryResult:
    """Deliver everything due, batch after batch, then raise DeliveryFailed if any failed."""
    total = DeliveryResult()
    for _batch in range(batches):
        result = deliver(now)
        total.sent += result.sent
        total.retrying += result.retrying
        total.failed += result.failed
        total.errors += result.errors
        if result.claimed < BATCH or result.retrying or result.failed:
            break
    if total.retrying or total.failed:
        reasons = "; ".join(sorted(set(total.errors)))[:1000]
        raise DeliveryFailed(f"{total}: {reasons}")
    return total


def deliver_outbox(today: date) -> DeliveryResult:
    """The daily job (run last, so the night's notices go out): purge old rows, deliver."""
    purge(timezone.now())
    return deliver_due()


def purge(now) -> int:
    """Delete sent and failed messages older than KEEP: their text names cases and people."""
    done = [OutboundMessage.Status.SENT, OutboundMessage.Status.FAILED]
    deleted, _by_model = OutboundMessage.objects.filter(
        status__in=done, created_at__lt=now - KEEP
    ).delete()
    return deleted


def message_id(key: str) -> str:
    """The same Message-ID on every attempt of one message, so duplicates can be recognised."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<outbox.{digest}@{domain}>"


# --- Claiming ---------------------------------------------------------------------------------


def _due(now) -> Q:
    status = OutboundMessage.Status
    return Q(status=status.PENDING, next_attempt_at__lte=now) | Q(
        status=status.SENDING, claimed_until__lt=now
    )


def _candidates(now, limit: int) -> list[tuple[int, str, object]]:
    """(pk, status, claimed_until) of due messages, oldest first; rows locked on PostgreSQL."""
    rows = OutboundMessage.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
    if db.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(rows.values_list("pk", "status", "claimed_until")[:limit])


def _take(candidates, now) -> list[tuple[int, object]]:
    """Set the lease on each candidate still as it was read; (pk, lease) of those taken."""
    lease = now + LEASE
    taken = []
    for pk, status, claimed_until in candidates:
        if OutboundMessage.objects.filter(pk=pk, status=status, claimed_until=claimed_until).update(
            status=OutboundMessage.Status.SENDING, claimed_until=lease
        ):
            taken.append((pk, lease))
    return taken


def _claim(now, limit: int) -> list[tuple[OutboundMessage, object]]:
    with transaction.atomic():
        taken = _take(_candidates(now, limit), now)
    messages = OutboundMessage.objects.prefetch_related("attachments").in_bulk(
        [pk for pk, _lease in taken]
    )
    return [(messages[pk], lease) for pk, lease in taken]


# --- Sending and recording ----------------------------------------------------------------------


def _email(message: OutboundMessage, mail) -> EmailMessage:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email,
        to=list(message.to),
        connection=mail,
        headers={"Message-ID": message_id(message.key)},
    )
    for attachment in message.attachments.all():
        content = bytes(attachment.content)
        kind = Message()
        kind["Content-Type"] = attachment.content_type
        if kind.get_content_maintype() == "text":
            # A text part keeps its parameters (a calendar's METHOD must be on the part).
            charset = kind.get_param("charset") or "utf-8"
            part = MIMEText(content.decode(charset), kind.get_content_subtype(), charset)
            for name, value in kind.get_params()[1:]:
                if name != "charset":
                    part.set_param(name, value)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            email.attach(part)
        else:
            email.attach(attachment.filename, content, kind.get_content_type())
    return email


def _server_level(exc: Exception) -> bool:
    """A failure of the connection or the session, not of this message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
        return False
    return isinstance(exc, smtplib.SMTPException | OSError)


def _refused(exc: Exception) -> bool:
    """Refused for good: 5xx for every recipient, or for the message itself."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{address}: {code} {_text(text)}" for address, (code, text) in exc.recipients.items()
        )
        return f"SMTPRecipientsRefused: {refused}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _record_sent(message: OutboundMessage, lease) -> None:
    marked = OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundMessage.Status.SENDING, claimed_until=lease
    ).update(
        status=OutboundMessage.Status.SENT,
        sent_at=timezone.now(),
        claimed_until=None,
        last_error="",
    )
    if not marked:  # the lease ran out while sending: another run may send it again
        logger.warning("Outbound message %s was sent after its lease ran out", message.pk)


def _record_failure(message: OutboundMessage, lease, now, exc, *, permanent, into) -> None:
    attempts = message.attempts + 1
    error = _describe(exc)[:2000]
    give_up = attempts >= (MAX_REFUSED_ATTEMPTS if permanent else MAX_ATTEMPTS)
    wait = BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]
    OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundMessage.Status.SENDING, claimed_until=lease
    ).update(
        status=OutboundMessage.Status.FAILED if give_up else OutboundMessage.Status.PENDING,
        attempts=attempts,
        next_attempt_at=now + timedelta(minutes=wait),
        claimed_until=None,
        last_error=error,
    )
    into.errors.append(type(exc).__name__)
    if give_up:
        into.failed += 1
        # The key names the notice without personal data; the address is in last_error.
        logger.error("Outbound message %s given up after %d attempts", message.key, attempts)
    else:
        into.retrying += 1
        logger.warning("Outbound message %s failed (attempt %d)", message.key, attempts)
