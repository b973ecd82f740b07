"""The access log: append-only, hash-chained, and the supervisors' reviews of it.

Entries refer to cases and people by id only (no foreign keys), so that the log outlives
what it describes and deleting a case can never cascade into the log.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The access log cannot be changed.")

    def delete(self):
        raise AppendOnlyError("The access log cannot be deleted.")


class AccessLogEntry(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", _("Läst")
        SEARCH = "search", _("Sökt/listat")
        CREATE = "create", _("Skapat")
        CHANGE = "change", _("Ändrat")
        EXPORT = "export", _("Exporterat")
        PRINT = "print", _("Skrivit ut")
        DOWNLOAD = "download", _("Laddat ned")
        DENIED = "denied", _("Nekad")
        # A membership or account privilege given, changed or ended (who granted what to whom).
        GRANT = "grant", _("Behörighet ändrad")

    at = models.DateTimeField(_("tidpunkt"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("användare"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    username = models.CharField(_("användarnamn"), max_length=150)
    unit_id = models.BigIntegerField(_("enhet"), null=True)
    case_id = models.BigIntegerField(_("ärende"), null=True)
    person_id = models.BigIntegerField(_("person"), null=True)
    action = models.CharField(_("händelse"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("objekt"), max_length=50)
    object_id = models.CharField(_("objekt-id"), max_length=50, blank=True)
    category = models.TextField(_("kategorier"), blank=True)
    grounds = models.CharField(_("grund"), max_length=500, blank=True)
    detail = models.TextField(_("detaljer"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("loggpost")
        verbose_name_plural = _("åtkomstlogg")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["case_id", "at"]),
            models.Index(fields=["user", "at"]),
            models.Index(fields=["unit_id", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        # Guard the invariant where every write passes; the chain itself is built in log.py.
        if self.pk is not None:
            raise AppendOnlyError("The access log cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The access log cannot be deleted.")


class AccessLogHead(models.Model):
    """One row holding the newest hash; locking it serialises appends so the chain never forks."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} entries, head {self.last_hash[:12]}"


class AccessLogFlag(models.Model):
    """A supervisor's mark on an entry for follow-up (the entry itself never changes)."""

    entry = models.ForeignKey(
        AccessLogEntry, verbose_name=_("loggpost"), on_delete=models.PROTECT, related_name="flags"
    )
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("markerad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    flagged_at = models.DateTimeField(_("markerad"), auto_now_add=True)
    note = models.TextField(_("anteckning"))

    class Meta:
        verbose_name = _("markering för uppföljning")
        verbose_name_plural = _("markeringar för uppföljning")
        ordering = ["-flagged_at"]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.note[:40]}"


class LogReview(models.Model):
    """A documented log review (stickprov at least monthly, and when misuse is suspected)."""

    unit = models.ForeignKey(
        "organisations.Unit", verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    performed_on = models.DateField(_("granskningsdatum"))
    scope = models.TextField(_("omfattning"), help_text=_("Vilka ärenden, användare och period."))
    findings = models.TextField(_("iakttagelser"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granskare"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("registrerad"), auto_now_add=True)

    class Meta:
        verbose_name = _("loggranskning")
        verbose_name_plural = _("loggranskningar")
        ordering = ["-performed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.performed_on} {self.reviewer}"
