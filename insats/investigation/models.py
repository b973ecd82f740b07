"""The investigation (utreda): inventory, information letter, police suitability assessment,
criminality profile, resource mapping and threat assessment (SPEC §3 step 2).

Assessments are versioned records (see insats.core.records): saving writes a new version and
the earlier ones stay readable.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insats.core.records import VersionedRecord
from insats.organisations.models import CrimeType, LifeArea, Organisation, Unit


class Rating(models.IntegerChoices):
    """The inventory's five-step scale, from the person's and the staff's point of view."""

    VERY_BAD = 1, _("1 – Mycket dåligt")
    BAD = 2, _("2 – Dåligt")
    NEITHER = 3, _("3 – Varken bra eller dåligt")
    GOOD = 4, _("4 – Bra")
    VERY_GOOD = 5, _("5 – Mycket bra")


class Motivation(models.IntegerChoices):
    NONE = 1, _("1 – Ingen motivation")
    LOW = 2, _("2 – Låg")
    SOME = 3, _("3 – Viss")
    GOOD = 4, _("4 – God")
    HIGH = 5, _("5 – Mycket hög")


class Inventory(VersionedRecord):
    """Individuell behovs- och resursinventering (bilaga 3.1)."""

    assessed_on = models.DateField(_("datum för inventeringen"))
    motivation = models.PositiveSmallIntegerField(
        _("motivation att förändra sin livssituation"),
        choices=Motivation.choices,
        null=True,
        blank=True,
    )
    motivation_note = models.TextField(_("kommentar om motivation"), blank=True)
    priority_1 = models.ForeignKey(
        LifeArea,
        verbose_name=_("högst prioriterat område"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    priority_2 = models.ForeignKey(
        LifeArea,
        verbose_name=_("näst högst prioriterat"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    priority_3 = models.ForeignKey(
        LifeArea,
        verbose_name=_("tredje prioritet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed = models.BooleanField(_("inventeringen är klar"), default=False)

    class Meta(VersionedRecord.Meta):
        verbose_name = _("behovs- och resursinventering")
        verbose_name_plural = _("behovs- och resursinventeringar")

    @property
    def priorities(self) -> list[LifeArea]:
        return [a for a in (self.priority_1, self.priority_2, self.priority_3) if a is not None]


class InventoryRating(models.Model):
    inventory = models.ForeignKey(Inventory, on_delete=models.CASCADE, related_name="ratings")
    life_area = models.ForeignKey(
        LifeArea, verbose_name=_("livsområde"), on_delete=models.PROTECT, related_name="+"
    )
    own_rating = models.PositiveSmallIntegerField(
        _("egen skattning"), choices=Rating.choices, null=True, blank=True
    )
    staff_rating = models.PositiveSmallIntegerField(
        _("personalens skattning"), choices=Rating.choices, null=True, blank=True
    )
    wants_change = models.BooleanField(_("vill förändring här"), null=True, blank=True)
    note = models.TextField(_("anteckning"), blank=True)

    class Meta:
        ordering = ["life_area__position", "life_area__label"]
        constraints = [
            models.UniqueConstraint(
                fields=["inventory", "life_area"], name="inventoryrating_one_per_area"
            )
        ]

    def __str__(self) -> str:
        return f"{self.life_area}: {self.own_rating}/{self.staff_rating}"


class InformationLetter(models.Model):
    """Informationsbrev (bilaga 3.0): the unit's text, versioned by a label it chooses."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.CASCADE, related_name="letters"
    )
    version = models.CharField(_("version"), max_length=40)
    title = models.CharField(_("rubrik"), max_length=200)
    body = models.TextField(
        _("text"), help_text=_("Stycken skiljs åt med en tom rad. Visas som de skrivs.")
    )
    active = models.BooleanField(_("används"), default=True)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        verbose_name = _("informationsbrev")
        verbose_name_plural = _("informationsbrev")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "version"], name="letter_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class LetterHandover(models.Model):
    """That the person was given the information letter: when, which version, by whom."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="+"
    )
    letter = models.ForeignKey(
        InformationLetter,
        verbose_name=_("informationsbrev"),
        on_delete=models.PROTECT,
        related_name="handovers",
    )
    handed_over_on = models.DateField(_("överlämnat datum"))
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("överlämnat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("anteckning"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrerat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("registrerat"), auto_now_add=True)

    class Meta:
        verbose_name = _("överlämnat informationsbrev")
        verbose_name_plural = _("överlämnade informationsbrev")
        ordering = ["-handed_over_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.letter} {self.handed_over_on}"


class PoliceAssessment(VersionedRecord):
    """Polisens lämplighetsbedömning: decisive — "not suitable" blocks enrolment."""

    class Outcome(models.TextChoices):
        SUITABLE = "suitable", _("Lämplig")
        NOT_SUITABLE = "not_suitable", _("Inte lämplig")
        MORE_INFORMATION = "more_information", _("Behöver mer underlag")

    outcome = models.CharField(_("bedömning"), max_length=20, choices=Outcome.choices)
    reasoning = models.TextField(_("motivering"))
    assessed_on = models.DateField(_("datum för bedömningen"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("polismyndighet"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta(VersionedRecord.Meta):
        verbose_name = _("polisens lämplighetsbedömning")
        verbose_name_plural = _("polisens lämplighetsbedömningar")


class Basis(models.TextChoices):
    SELF_REPORTED = "self_reported", _("Självrapporterat")
    CONFIRMED = "confirmed", _("Konstaterat")


class CriminalityProfile(VersionedRecord):
    """Kriminalitet: debut, kinds, volume and the last six months; each fact has a basis."""

    class Volume(models.TextChoices):
        FEW = "few", _("Enstaka brott (1–2)")
        SEVERAL = "several", _("Flera brott (3–9)")
        MANY = "many", _("Omfattande (10 eller fler)")
        UNKNOWN = "unknown", _("Okänt")

    age_at_first_offence = models.PositiveSmallIntegerField(
        _("ålder vid första brottet"), null=True, blank=True
    )
    debut_basis = models.CharField(
        _("underlag för debutåldern"), max_length=20, choices=Basis.choices, blank=True
    )
    volume = models.CharField(_("omfattning"), max_length=20, choices=Volume.choices)
    offences_last_six_months = models.PositiveSmallIntegerField(
        _("brott de senaste sex månaderna"), null=True, blank=True
    )
    recent_basis = models.CharField(
        _("underlag för de senaste sex månaderna"),
        max_length=20,
        choices=Basis.choices,
        blank=True,
    )
    note = models.TextField(_("anteckning"), blank=True)

    class Meta(VersionedRecord.Meta):
        verbose_name = _("kriminalitetsprofil")
        verbose_name_plural = _("kriminalitetsprofiler")


class CriminalityItem(models.Model):
    profile = models.ForeignKey(CriminalityProfile, on_delete=models.CASCADE, related_name="items")
    crime_type = models.ForeignKey(
        CrimeType, verbose_name=_("brottstyp"), on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(_("underlag"), max_length=20, choices=Basis.choices)
    source = models.CharField(_("källa"), max_length=200)
    noted_on = models.DateField(_("datum"))
    note = models.CharField(_("anteckning"), max_length=300, blank=True)

    class Meta:
        ordering = ["noted_on", "pk"]

    def __str__(self) -> str:
        return f"{self.crime_type} ({self.get_basis_display()})"


class ResourceMapping(VersionedRecord):
    """Kartläggning av resurser: the person's own network and the partners needed."""

    needed_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("samverkanspartner som behövs"), blank=True, related_name="+"
    )
    note = models.TextField(_("anteckning"), blank=True)

    class Meta(VersionedRecord.Meta):
        verbose_name = _("resurskartläggning")
        verbose_name_plural = _("resurskartläggningar")


class NetworkPerson(models.Model):
    mapping = models.ForeignKey(ResourceMapping, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("namn"), max_length=200)
    relation = models.CharField(_("relation"), max_length=100)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    may_contact = models.BooleanField(_("får kontaktas"), default=False)
    covered_by_consent = models.BooleanField(_("omfattas av samtycket"), default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class ThreatLevel(models.TextChoices):
    NONE = "none", _("Ingen")
    LOW = "low", _("Låg")
    MODERATE = "moderate", _("Måttlig")
    HIGH = "high", _("Hög")


class ThreatAssessment(VersionedRecord):
    """Hotbildsbedömning (bilaga 3.3). Cannot be completed until the supervisor is informed."""

    assessed_on = models.DateField(_("datum för bedömningen"))
    source_person = models.BooleanField(_("samtal med den enskilde"), default=False)
    source_police = models.BooleanField(_("polisen"), default=False)
    source_other = models.CharField(_("andra källor"), max_length=300, blank=True)
    level = models.CharField(_("bedömd hotbild"), max_length=10, choices=ThreatLevel.choices)
    description = models.TextField(_("beskrivning"))
    security_officer = models.CharField(
        _("polisens personsäkerhetshandläggare"),
        max_length=200,
        blank=True,
        help_text=_("Namn och kontaktväg, om personsäkerhetsarbete har inletts."),
    )
    supervisor_informed = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("informerad arbetsledare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    supervisor_informed_on = models.DateField(_("arbetsledaren informerad"), null=True, blank=True)
    completed = models.BooleanField(_("bedömningen är klar"), default=False)

    class Meta(VersionedRecord.Meta):
        verbose_name = _("hotbildsbedömning")
        verbose_name_plural = _("hotbildsbedömningar")
        indexes = [
            *VersionedRecord.Meta.indexes,
            models.Index(fields=["level", "superseded_at"], name="threat_level_current"),
        ]

    @property
    def sources(self) -> list[str]:
        names = []
        if self.source_person:
            names.append(str(_("samtal med den enskilde")))
        if self.source_police:
            names.append(str(_("polisen")))
        if self.source_other:
            names.append(self.source_other)
        return names


class ThreatMeasure(models.Model):
    """A protective measure decided together with the police."""

    assessment = models.ForeignKey(
        ThreatAssessment, on_delete=models.CASCADE, related_name="measures"
    )
    description = models.CharField(_("åtgärd"), max_length=300)
    responsible = models.CharField(_("ansvarig"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("klar senast"))
    done_on = models.DateField(_("genomförd"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["done_on", "due_on"])]

    def __str__(self) -> str:
        return self.description
