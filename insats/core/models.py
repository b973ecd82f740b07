"""Operational records: when each daily job last ran and how it ended."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of one daily job; the readiness check asks for a recent successful one."""

    job = models.CharField(_("jobb"), max_length=100)
    started_at = models.DateTimeField(_("startad"))
    finished_at = models.DateTimeField(_("avslutad"))
    ok = models.BooleanField(_("lyckades"))
    result = models.TextField(_("resultat"), blank=True)

    class Meta:
        verbose_name = _("körning av dagligt jobb")
        verbose_name_plural = _("körningar av dagliga jobb")
        indexes = [models.Index(fields=["job", "ok", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.job} {self.finished_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'fel'}"
