"""Units, partner organisations, users, their roles and each unit's configuration lists."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """Socialtjänstenhet — a social-services unit of a municipality or district.

    Every case, person and partner organisation belongs to exactly one unit; nothing is shared
    across units.
    """

    name = models.CharField(_("namn"), max_length=200, unique=True)
    municipality = models.CharField(_("kommun"), max_length=200)
    case_prefix = models.CharField(
        _("prefix för ärendenummer"),
        max_length=10,
        blank=True,
        help_text=_("Skrivs före ärendenumret, t.ex. ”N” ger ”N-2026-014”. Får vara tomt."),
    )
    target_age_min = models.PositiveSmallIntegerField(_("målgruppens lägsta ålder"), default=15)
    target_age_max = models.PositiveSmallIntegerField(_("målgruppens högsta ålder"), default=25)
    contact_review_months = models.PositiveSmallIntegerField(
        _("kontaktlistan ses över var (månader)"),
        default=12,
        help_text=_("En kontakt som inte kontrollerats på så lång tid markeras och påminns om."),
    )

    class Meta:
        verbose_name = _("enhet")
        verbose_name_plural = _("enheter")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_age_min__lte=models.F("target_age_max")),
                name="unit_target_age_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ConfigItem(models.Model):
    """One entry of a unit's configurable list.

    Rows with no unit are the installation's template: a new unit starts with a copy of them
    (see services.unit_create), so each unit can then edit its own without touching the others.
    """

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("enhet"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Tom = mall som nya enheter får en kopia av."),
    )
    code = models.SlugField(_("kod"), max_length=50)
    label = models.CharField(_("benämning"), max_length=200)
    label_en = models.CharField(_("benämning på engelska"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "label"]

    def __str__(self) -> str:
        if get_language() == "en" and self.label_en:
            return self.label_en
        return self.label


def _unique_code_per_unit(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["unit", "code"], name=f"{name}_unique_code_per_unit")


class LifeArea(ConfigItem):
    """Livsområde — used by the inventory, the action plan and consent categories."""

    category_code = models.SlugField(
        _("uppgiftskategori"),
        max_length=50,
        blank=True,
        help_text=_(
            "Koden för den uppgiftskategori ett samtycke måste omfatta för att en "
            "samverkanspartner ska se området. Tom = endast socialtjänsten."
        ),
    )

    class Meta(ConfigItem.Meta):
        verbose_name = _("livsområde")
        verbose_name_plural = _("livsområden")
        constraints = [_unique_code_per_unit("lifearea")]


class CrimeType(ConfigItem):
    """Brottstyp — for the criminality profile."""

    class Meta(ConfigItem.Meta):
        verbose_name = _("brottstyp")
        verbose_name_plural = _("brottstyper")
        constraints = [_unique_code_per_unit("crimetype")]


class InformationCategory(ConfigItem):
    """Uppgiftskategori — what a consent lets the parties share (health, economy, …)."""

    class Meta(ConfigItem.Meta):
        verbose_name = _("uppgiftskategori")
        verbose_name_plural = _("uppgiftskategorier")
        constraints = [_unique_code_per_unit("infocategory")]


class DischargeReason(ConfigItem):
    """Skäl för utskrivning — every discharge names one."""

    class Meta(ConfigItem.Meta):
        verbose_name = _("skäl för utskrivning")
        verbose_name_plural = _("skäl för utskrivning")
        constraints = [_unique_code_per_unit("dischargereason")]


class PracticalMatter(ConfigItem):
    """Praktisk fråga — the checklist every case goes through (ID card, bank account, …)."""

    class Meta(ConfigItem.Meta):
        verbose_name = _("praktisk fråga")
        verbose_name_plural = _("praktiska frågor")
        constraints = [_unique_code_per_unit("practicalmatter")]


class LegalReference(ConfigItem):
    """Lagrum — paragraph references live here, never in code, because laws get renumbered."""

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Beviljat bistånd")
        DISCLOSURE = "disclosure", _("Utlämnande utan samtycke")
        CONSENT = "consent", _("Samtycke till informationsutbyte")

    kind = models.CharField(_("användning"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)

    class Meta(ConfigItem.Meta):
        verbose_name = _("lagrum")
        verbose_name_plural = _("lagrum")
        constraints = [_unique_code_per_unit("legalreference")]


CONFIG_LISTS = (
    LifeArea,
    CrimeType,
    InformationCategory,
    DischargeReason,
    PracticalMatter,
    LegalReference,
)


class Organisation(models.Model):
    """Organisation — the unit's own social services or a partner agency it works with."""

    class Kind(models.TextChoices):
        SOCIAL_SERVICES = "social_services", _("Socialtjänst")
        POLICE = "police", _("Polis")
        SCHOOL = "school", _("Skola")
        LEISURE = "leisure", _("Fritid")
        EMPLOYMENT = "employment", _("Arbetsförmedlingen/Jobbtorg")
        PROBATION = "probation", _("Kriminalvården/Frivården")
        SIS = "sis", _("Statens institutionsstyrelse (SiS)")
        ENFORCEMENT = "enforcement", _("Kronofogden")
        HEALTH = "health", _("Hälso- och sjukvård")
        CIVIL_SOCIETY = "civil_society", _("Civilsamhälle")
        OTHER = "other", _("Annan")

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="organisations"
    )
    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=30, choices=Kind.choices)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="organisation_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. What they may do comes from their memberships, never from flags."""

    phone = models.CharField(_("telefon"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Lots/samordnare")
    INVESTIGATOR = "investigator", _("Utredare/handläggare")
    SUPERVISOR = "supervisor", _("Arbetsledare/enhetschef")
    PARTNER = "partner", _("Partner")
    LEADERSHIP = "leadership", _("Ledning/styrgrupp")
    ANALYST = "analyst", _("Statistikutredare")
    ADMINISTRATOR = "administrator", _("Systemadministratör")


SOCIAL_SERVICES_ROLES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SUPERVISOR})
# Roles that never see case content, and so can never join a case's group.
NO_CASE_CONTENT_ROLES = frozenset({Role.LEADERSHIP, Role.ANALYST, Role.ADMINISTRATOR})


class Membership(models.Model):
    """A user's role in one organisation (and so in that organisation's unit)."""

    user = models.ForeignKey(
        User, verbose_name=_("användare"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices)
    may_decide = models.BooleanField(
        _("har delegation att besluta"),
        default=False,
        help_text=_("Enligt enhetens delegationsordning; gäller endast arbetsledare."),
    )
    function = models.CharField(_("funktion"), max_length=200, blank=True)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("roll i organisation")
        verbose_name_plural = _("roller i organisationer")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
            models.CheckConstraint(
                condition=models.Q(may_decide=False) | models.Q(role="supervisor"),
                name="membership_only_supervisor_decides",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}, {self.organisation}"

    def clean(self) -> None:
        if not self.organisation_id:
            return
        staff_role = self.role in SOCIAL_SERVICES_ROLES
        in_social_services = self.organisation.kind == Organisation.Kind.SOCIAL_SERVICES
        if staff_role and not in_social_services:
            raise ValidationError(
                {"role": _("Lots, utredare och arbetsledare måste höra till socialtjänsten.")}
            )
        if self.role == Role.PARTNER and in_social_services:
            raise ValidationError(
                {"role": _("Partnerrollen gäller samverkanspartner, inte socialtjänsten.")}
            )
        if self.may_decide and self.role != Role.SUPERVISOR:
            raise ValidationError(
                {"may_decide": _("Endast arbetsledare kan ha delegation att besluta.")}
            )
