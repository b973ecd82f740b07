"""The outbox: every outbound e-mail is a row first (utgående meddelande).

A row is written in the transaction of the change it reports, so a rolled-back change sends
nothing; jobs.deliver sends it after commit, outside any transaction, with retries. The key
names the notice (e.g. ``consent-expiry:17:2031-05-02``): enqueueing it again is a no-op, so a
job run that dies and reruns does not mail twice.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    """Utgående e-postmeddelande."""

    class Status(models.TextChoices):
        PENDING = "pending", _("väntar")
        SENDING = "sending", _("skickas")  # claimed by a run until claimed_until
        SENT = "sent", _("skickat")
        FAILED = "failed", _("misslyckat")  # given up; reported

    key = models.CharField(_("nyckel"), max_length=255, unique=True)
    to = models.JSONField(_("mottagare"), default=list)
    from_email = models.CharField(_("avsändare"), max_length=254)
    subject = models.TextField(_("ämne"))
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("försök"), default=0)
    next_attempt_at = models.DateTimeField(_("nästa försök"), default=timezone.now)
    claimed_until = models.DateTimeField(_("reserverat till"), null=True, blank=True)
    last_error = models.TextField(_("senaste fel"), blank=True)
    created_at = models.DateTimeField(_("skapat"), default=timezone.now)
    sent_at = models.DateTimeField(_("skickat"), null=True, blank=True)

    class Meta:
        verbose_name = _("utgående e-postmeddelande")
        verbose_name_plural = _("utgående e-post")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return self.key


class OutboundAttachment(models.Model):
    """Bilaga: kept in the database with its message, so delivery needs nothing else."""

    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("filnamn"), max_length=255)
    # The full type with parameters, e.g. "text/calendar; method=REQUEST; charset=utf-8".
    content_type = models.CharField(_("typ"), max_length=255)
    content = models.BinaryField(_("innehåll"))

    class Meta:
        verbose_name = _("bilaga")
        verbose_name_plural = _("bilagor")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename
