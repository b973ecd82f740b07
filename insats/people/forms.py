"""Forms for people: the identity number is parsed and normalised here, once."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Guardian, Person
from .personnummer import InvalidIdentityNumber, parse


class PersonForm(forms.ModelForm):
    # Shown and changed only by those the policy lets see contact details (protected identity).
    CONTACT_FIELDS = (
        "street_address",
        "postal_code",
        "city",
        "phone",
        "email",
        "protected_identity",
    )

    number = forms.CharField(
        label=_("Person- eller samordningsnummer"),
        required=False,
        max_length=20,
        help_text=_("ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN. Lämna tomt om numret saknas."),
    )

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "number",
            "birth_date",
            "reserve_number",
            "street_address",
            "postal_code",
            "city",
            "phone",
            "email",
            "protected_identity",
        ]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "birth_date": _("Behövs bara när personen saknar person- och samordningsnummer."),
        }

    def __init__(self, *args, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit or (self.instance.unit if self.instance.unit_id else None)
        self.fields["birth_date"].required = False
        if self.instance.identity_number and not self.is_bound:
            self.initial["number"] = self.instance.formatted_number

    def clean_number(self):
        text = self.cleaned_data["number"].strip()
        if not text:
            return None
        try:
            return parse(text, today=timezone.localdate())
        except InvalidIdentityNumber as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("number")
        if number is not None:
            cleaned["birth_date"] = number.birth_date
            duplicates = Person.objects.filter(unit=self.unit, identity_number=number.digits)
            if self.instance.pk:
                duplicates = duplicates.exclude(pk=self.instance.pk)
            if self.unit is not None and duplicates.exists():
                self.add_error("number", _("Det finns redan en person med det numret."))
        elif "number" not in self.errors and not cleaned.get("birth_date"):
            self.add_error(
                "birth_date", _("Ange födelsedatum när person- och samordningsnummer saknas.")
            )
        elif cleaned.get("birth_date") and cleaned["birth_date"] > timezone.localdate():
            self.add_error("birth_date", _("Födelsedatumet kan inte ligga i framtiden."))
        return cleaned

    def drop_contact_fields(self) -> None:
        """Leave address, contact details and the protection flag out: neither shown nor saved."""
        for name in self.CONTACT_FIELDS:
            self.fields.pop(name, None)

    def person_fields(self) -> dict:
        """The cleaned values as model fields, with the number normalised."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "number"}
        number = self.cleaned_data.get("number")
        if number is None:
            data.update(identity_number=None, number_kind=Person.NumberKind.NONE)
        else:
            data.update(identity_number=number.digits, number_kind=number.kind)
        return data

    def _post_clean(self):
        # The model is saved through services, not by the form.
        pass


class GuardianForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = ["name", "relation", "phone", "email", "street_address"]
