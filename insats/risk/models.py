"""Structured risk assessment: instruments are data, assessments are versioned case records.

An instrument (default: the SAVRY structure, item titles only) has items grouped in domains,
each with its own scale. The summary risk judgement is the professional's, written with
reasons: the system never computes it from the item ratings.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from insats.core.records import VersionedRecord
from insats.organisations.models import Unit


def levels_of(text: str) -> list[str]:
    """A scale is written one level per line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class RiskInstrument(models.Model):
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("enhet"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Tom = gemensamt för alla enheter."),
    )
    name = models.CharField(_("namn"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    age_min = models.PositiveSmallIntegerField(_("lägsta ålder"))
    age_max = models.PositiveSmallIntegerField(_("högsta ålder"))
    summary_levels = models.TextField(
        _("skala för sammanfattande bedömning"),
        default="Låg\nMåttlig\nHög",
        help_text=_("En nivå per rad."),
    )
    active = models.BooleanField(_("används"), default=True)

    class Meta:
        verbose_name = _("riskbedömningsinstrument")
        verbose_name_plural = _("riskbedömningsinstrument")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age_min__lte=models.F("age_max")),
                name="riskinstrument_age_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def summary_scale(self) -> list[str]:
        return levels_of(self.summary_levels)

    def age_warning(self, age: int | None) -> str | None:
        if age is None or self.age_min <= age <= self.age_max:
            return None
        return _(
            "Personen är %(age)s år. Instrumentet är utformat för %(min)s–%(max)s år: "
            "väg in det i bedömningen."
        ) % {"age": age, "min": self.age_min, "max": self.age_max}


class RiskItem(models.Model):
    instrument = models.ForeignKey(
        RiskInstrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="items"
    )
    domain = models.CharField(_("område"), max_length=100)
    code = models.CharField(_("kod"), max_length=10)
    title = models.CharField(_("rubrik"), max_length=200)
    levels = models.TextField(
        _("skala"), default="Låg\nMåttlig\nHög", help_text=_("En nivå per rad.")
    )
    protective = models.BooleanField(_("skyddsfaktor"), default=False)
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)

    class Meta:
        verbose_name = _("riskfaktor")
        verbose_name_plural = _("riskfaktorer")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="riskitem_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def scale(self) -> list[str]:
        return levels_of(self.levels)


class RiskAssessment(VersionedRecord):
    instrument = models.ForeignKey(
        RiskInstrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+"
    )
    assessed_on = models.DateField(_("datum för bedömningen"))
    summary = models.CharField(_("sammanfattande riskbedömning"), max_length=100)
    summary_reasons = models.TextField(_("skäl för den sammanfattande bedömningen"))
    note = models.TextField(_("övrigt"), blank=True)

    class Meta(VersionedRecord.Meta):
        verbose_name = _("strukturerad riskbedömning")
        verbose_name_plural = _("strukturerade riskbedömningar")


class RiskRating(models.Model):
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="ratings")
    item = models.ForeignKey(
        RiskItem, verbose_name=_("faktor"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("skattning"), max_length=100, blank=True)
    critical = models.BooleanField(_("kritisk"), default=False)
    note = models.CharField(_("anteckning"), max_length=300, blank=True)

    class Meta:
        ordering = ["item__position", "item__pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="riskrating_one_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.level}"


class RiskExtraFactor(models.Model):
    """A case-specific risk or protective factor outside the instrument."""

    assessment = models.ForeignKey(
        RiskAssessment, on_delete=models.CASCADE, related_name="extra_factors"
    )
    protective = models.BooleanField(_("skyddsfaktor"), default=False)
    description = models.CharField(_("faktor"), max_length=300)
    level = models.CharField(_("skattning"), max_length=100, blank=True)
    critical = models.BooleanField(_("kritisk"), default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description
