"""The young people a case is about, and their guardians."""

from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import Unit

from .personnummer import age_on, format_digits


class Person(models.Model):
    """Den enskilde — the person a case is about.

    Identified by personnummer or samordningsnummer (normalised to 12 digits) when there is one;
    otherwise by birth date and an optional reservnummer text.
    """

    class NumberKind(models.TextChoices):
        PERSONNUMMER = "personnummer", _("Personnummer")
        SAMORDNINGSNUMMER = "samordningsnummer", _("Samordningsnummer")
        NONE = "none", _("Saknas")

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="people"
    )
    first_name = models.CharField(_("förnamn"), max_length=100)
    last_name = models.CharField(_("efternamn"), max_length=100)
    identity_number = models.CharField(
        _("person- eller samordningsnummer"), max_length=12, null=True, blank=True
    )
    number_kind = models.CharField(
        _("typ av nummer"), max_length=20, choices=NumberKind.choices, default=NumberKind.NONE
    )
    reserve_number = models.CharField(_("reservnummer"), max_length=40, blank=True)
    birth_date = models.DateField(_("födelsedatum"))
    street_address = models.CharField(_("adress"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=10, blank=True)
    city = models.CharField(_("ort"), max_length=100, blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    protected_identity = models.BooleanField(
        _("skyddade personuppgifter"),
        default=False,
        help_text=_(
            "Adress och kontaktuppgifter visas då bara för ärendets personal inom socialtjänsten."
        ),
    )
    created_at = models.DateTimeField(_("registrerad"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("personer")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "identity_number"], name="person_unique_number_per_unit"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "last_name", "first_name"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def formatted_number(self) -> str:
        if self.identity_number:
            return format_digits(self.identity_number)
        return self.reserve_number

    def age(self, on: date | None = None) -> int:
        return age_on(self.birth_date, on or timezone.localdate())

    @property
    def is_minor(self) -> bool:
        return self.age() < 18


class Guardian(models.Model):
    """Vårdnadshavare — signs consent for a person under 18."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="guardians"
    )
    name = models.CharField(_("namn"), max_length=200)
    relation = models.CharField(_("relation"), max_length=100, blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    street_address = models.CharField(_("adress"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("vårdnadshavare")
        verbose_name_plural = _("vårdnadshavare")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
