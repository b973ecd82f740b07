"""The criminality profile form: the facts with their basis, and one row per noted offence."""

from django import forms
from django.utils.translation import gettext_lazy as _

from insats.investigation.models import Basis, CriminalityProfile

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BASIS_CHOICES = [("", _("Välj underlag")), *Basis.choices]


class RowForm(forms.Form):
    """A child row: left completely blank it is ignored; partly filled, each missing field
    that `required_fields` names gets its Swedish message."""

    required_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.required_fields:
            self.fields[name].condition = _("krävs om raden fylls i")

    def clean(self):
        cleaned = super().clean()
        filled = [name for name, value in cleaned.items() if value not in (None, "", False)]
        self.is_blank = not filled and not self.errors
        if self.is_blank:
            return cleaned
        for name, message in self.required_fields.items():
            if name not in self.errors and cleaned.get(name) in (None, ""):
                self.add_error(name, message)
        return cleaned


class RowFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The cleaned rows that were filled in (call after is_valid())."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not getattr(form, "is_blank", False)
        ]


class CriminalityForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)
    age_at_first_offence = forms.IntegerField(
        label=_("Ålder vid första brottet"),
        required=False,
        min_value=5,
        max_value=99,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    debut_basis = forms.ChoiceField(
        label=_("Underlag för debutåldern"),
        choices=Basis.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    volume = forms.ChoiceField(
        label=_("Omfattning"),
        choices=CriminalityProfile.Volume.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj omfattning.")},
    )
    offences_last_six_months = forms.IntegerField(
        label=_("Antal brott de senaste sex månaderna"),
        required=False,
        min_value=0,
        max_value=999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    recent_basis = forms.ChoiceField(
        label=_("Underlag för de senaste sex månaderna"),
        choices=Basis.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, current: CriminalityProfile | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["debut_basis"].condition = _("krävs om åldern anges")
        self.fields["recent_basis"].condition = _("krävs om antalet anges")
        if current is not None:
            self.initial.update(
                based_on=current.pk,
                age_at_first_offence=current.age_at_first_offence,
                debut_basis=current.debut_basis,
                volume=current.volume,
                offences_last_six_months=current.offences_last_six_months,
                recent_basis=current.recent_basis,
                note=current.note,
            )


class CriminalityItemForm(RowForm):
    crime_type = forms.ChoiceField(label=_("Brottstyp"), required=False)
    basis = forms.ChoiceField(label=_("Underlag"), choices=BASIS_CHOICES, required=False)
    source = forms.CharField(
        label=_("Källa"),
        required=False,
        max_length=200,
        help_text=_("T.ex. belastningsregistret, polisen eller samtal med den enskilde."),
    )
    noted_on = forms.DateField(
        label=_("Datum"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("Ange ett giltigt datum (ÅÅÅÅ-MM-DD).")},
    )
    note = forms.CharField(label=_("Anteckning"), required=False, max_length=300)

    required_fields = {
        "crime_type": _("Välj brottstyp."),
        "basis": _("Ange om uppgiften är självrapporterad eller konstaterad."),
        "source": _("Ange källa."),
        "noted_on": _("Ange datum."),
    }

    def __init__(self, *args, crime_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.crime_types = {str(ct.pk): ct for ct in crime_types}
        self.fields["crime_type"].choices = [("", _("Välj brottstyp"))] + [
            (key, str(ct)) for key, ct in self.crime_types.items()
        ]

    def clean_crime_type(self):
        value = self.cleaned_data["crime_type"]
        return self.crime_types[value] if value else None


CriminalityItemFormSet = forms.formset_factory(
    CriminalityItemForm, formset=RowFormSet, extra=3, max_num=200, validate_max=True
)


def item_initial(profile: CriminalityProfile | None) -> list[dict]:
    """The rows of the version being edited, to pre-fill the formset."""
    if profile is None:
        return []
    return [
        {
            "crime_type": str(item.crime_type_id),
            "basis": item.basis,
            "source": item.source,
            "noted_on": item.noted_on,
            "note": item.note,
        }
        for item in profile.items.all()
    ]
