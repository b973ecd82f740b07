"""Decisions on a case (continued investigation, enrolment, decline, re-examination) and the
follow-up assessment (bilaga 3.4) made at the decision and again later.

Decisions are acts: recorded once, never edited. The follow-up assessment is a versioned
record like the investigation's assessments.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insats.core.records import VersionedRecord
from insats.investigation.models import Rating
from insats.organisations.models import LegalReference, LifeArea


class CaseDecision(models.Model):
    class Kind(models.TextChoices):
        CONTINUE_INVESTIGATION = "continue", _("Fortsatt utredning")
        ENROL = "enrol", _("Inskrivning och bistånd")
        DECLINE = "decline", _("Avslag")
        REEXAMINE = "reexamine", _("Omprövning av bistånd")
        REOPEN = "reopen", _("Återöppnande")

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="decisions"
    )
    kind = models.CharField(_("beslut"), max_length=20, choices=Kind.choices)
    outcome = models.BooleanField(_("bifall"))
    decided_on = models.DateField(_("beslutsdatum"))
    reasons = models.TextField(_("motivering"))
    # Grounds for enrolment (SPEC §3: risk of reoffending and motivation, weighed on needs,
    # resources and criminality).
    risk_of_reoffending = models.TextField(_("risk för återfall i brott"), blank=True)
    motivation = models.TextField(_("motivation"), blank=True)
    needs = models.TextField(_("behov"), blank=True)
    resources = models.TextField(_("resurser"), blank=True)
    criminality = models.TextField(_("kriminalitet"), blank=True)
    legal_reference = models.ForeignKey(
        LegalReference,
        verbose_name=_("lagrum"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_on = models.DateField(_("omprövas senast"), null=True, blank=True)
    review_reminded_on = models.DateField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beslutsfattare"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("registrerat"), auto_now_add=True)

    class Meta:
        verbose_name = _("beslut")
        verbose_name_plural = _("beslut")
        ordering = ["-decided_on", "-pk"]
        indexes = [
            models.Index(fields=["case", "kind"]),
            models.Index(fields=["review_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.decided_on}"


class FollowUpAssessment(VersionedRecord):
    """Uppföljning (bilaga 3.4): the first at the decision, the second later, same form."""

    class Kind(models.TextChoices):
        FIRST = "first", _("Första bedömningen")
        SECOND = "second", _("Andra bedömningen")

    class Occupation(models.TextChoices):
        WORK = "work", _("Arbete")
        STUDIES = "studies", _("Studier/skola")
        MEASURE = "measure", _("Praktik/arbetsmarknadsinsats")
        NONE = "none", _("Ingen sysselsättning")
        UNKNOWN = "unknown", _("Okänt")

    class Housing(models.TextChoices):
        OWN = "own", _("Eget boende")
        SUBLET = "sublet", _("Andrahand/inneboende")
        FAMILY = "family", _("Hos föräldrar eller anhöriga")
        PLACED = "placed", _("Placerad (HVB, SiS, familjehem)")
        CUSTODY = "custody", _("Anstalt/häkte")
        HOMELESS = "homeless", _("Bostadslös")
        UNKNOWN = "unknown", _("Okänt")

    class Frequency(models.TextChoices):
        NONE = "none", _("Ingen")
        OCCASIONAL = "occasional", _("Sporadisk")
        REGULAR = "regular", _("Regelbunden")
        UNKNOWN = "unknown", _("Okänt")

    class Income(models.TextChoices):
        SALARY = "salary", _("Lön")
        STUDY = "study", _("Studiemedel")
        ASSISTANCE = "assistance", _("Ekonomiskt bistånd")
        BENEFIT = "benefit", _("Aktivitetsstöd eller annan ersättning")
        FAMILY = "family", _("Försörjs av anhöriga")
        NONE = "none", _("Ingen känd inkomst")
        UNKNOWN = "unknown", _("Okänt")

    kind = models.CharField(_("bedömning"), max_length=10, choices=Kind.choices)
    assessed_on = models.DateField(_("datum för bedömningen"))
    occupation = models.CharField(
        _("sysselsättning/skola"), max_length=20, choices=Occupation.choices
    )
    housing = models.CharField(_("boende"), max_length=20, choices=Housing.choices)
    substance_use = models.CharField(_("missbruk"), max_length=20, choices=Frequency.choices)
    offences_last_six_months = models.PositiveSmallIntegerField(
        _("brott de senaste sex månaderna"), null=True, blank=True
    )
    criminal_network = models.CharField(
        _("kontakt med kriminellt nätverk"), max_length=20, choices=Frequency.choices
    )
    income = models.CharField(_("försörjning"), max_length=20, choices=Income.choices)
    note = models.TextField(_("anteckning"), blank=True)

    class Meta(VersionedRecord.Meta):
        verbose_name = _("uppföljningsbedömning")
        verbose_name_plural = _("uppföljningsbedömningar")


class FollowUpRating(models.Model):
    assessment = models.ForeignKey(
        FollowUpAssessment, on_delete=models.CASCADE, related_name="ratings"
    )
    life_area = models.ForeignKey(
        LifeArea, verbose_name=_("livsområde"), on_delete=models.PROTECT, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        _("skattning"), choices=Rating.choices, null=True, blank=True
    )
    note = models.CharField(_("anteckning"), max_length=300, blank=True)

    class Meta:
        ordering = ["life_area__position", "life_area__label"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "life_area"], name="followuprating_one_per_area"
            )
        ]

    def __str__(self) -> str:
        return f"{self.life_area}: {self.rating}"
