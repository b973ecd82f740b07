"""Figures prepared overnight for the unit sets that are too large to count while a page waits."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class PreparedFigures(models.Model):
    """One `statistics.Figures` (raw counts, before suppression) for a set of units, a period
    and a language, as computed by the nightly job. Raw counts never reach a page from here
    either: the page applies the same suppression as to figures computed live."""

    key = models.CharField(_("nyckel"), max_length=64)  # sha256 of the sorted unit ids
    language = models.CharField(_("språk"), max_length=10)
    period_kind = models.CharField(_("periodtyp"), max_length=10)
    period_start = models.DateField(_("periodens början"))
    period_end = models.DateField(_("periodens slut"))
    computed_at = models.DateTimeField(_("beräknad"))
    figures = models.JSONField(_("siffror"), encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("förberedda siffror")
        verbose_name_plural = _("förberedda siffror")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language", "period_kind", "period_start", "period_end"],
                name="prepared_figures_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_kind} {self.period_start}–{self.period_end} ({self.language})"
