"""Forms for intake, staffing, lifecycle moves and the case list filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from insats.access import policy
from insats.organisations.models import DischargeReason, Role, Unit, User

from .lifecycle import State
from .models import Source


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class IntakeForm(forms.Form):
    IDENTIFIED = "identified"
    DEIDENTIFIED = "deidentified"

    unit = forms.ModelChoiceField(label=_("Enhet"), queryset=Unit.objects.none())
    identification = forms.ChoiceField(
        label=_("Är personen identifierad?"),
        choices=[
            (IDENTIFIED, _("Ja, personuppgifter registreras nu")),
            (DEIDENTIFIED, _("Nej, ärendet registreras avidentifierat")),
        ],
        widget=forms.RadioSelect,
        initial=DEIDENTIFIED,
    )
    age = forms.IntegerField(
        label=_("Ålder"),
        min_value=0,
        max_value=120,
        required=False,
        help_text=_("Syns i ärendets alias tillsammans med ärendenumret."),
    )
    source = forms.ChoiceField(label=_("Aktualiserad av"), choices=Source.choices)
    source_detail = forms.CharField(
        label=_("Källa, närmare"),
        required=False,
        max_length=200,
        help_text=_("T.ex. vilken verksamhet eller kontaktperson."),
    )
    intake_basis = forms.CharField(
        label=_("Underlag"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Vid förslag från polisen: brottens art och frekvens."),
    )
    age_at_first_offence = forms.IntegerField(
        label=_("Ålder vid första brottet"), min_value=0, max_value=120, required=False
    )
    coordinator = StaffChoiceField(
        label=_("Lots/samordnare"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["age"].condition = _("krävs för avidentifierat ärende")
        self.fields["unit"].queryset = units
        if len(units) == 1:
            self.fields["unit"].initial = units.first().pk
            self.fields["unit"].widget = forms.HiddenInput()
        self.fields["coordinator"].queryset = User.objects.filter(
            memberships__organisation__unit__in=units,
            memberships__role=Role.COORDINATOR,
            memberships__active=True,
        ).distinct()

    @property
    def identified(self) -> bool:
        return self.data.get(self.add_prefix("identification")) == self.IDENTIFIED

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("identification") == self.DEIDENTIFIED and cleaned.get("age") is None:
            self.add_error("age", _("Ange ålder för ett avidentifierat ärende."))
        return cleaned


class AssignStaffForm(forms.Form):
    coordinator = StaffChoiceField(
        label=_("Lots/samordnare"), queryset=User.objects.none(), required=False
    )
    investigator = StaffChoiceField(
        label=_("Utredare"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinator"].queryset = policy.unit_staff(
            case.unit_id, {Role.COORDINATOR}
        ).order_by("first_name", "last_name")
        self.fields["investigator"].queryset = policy.unit_staff(
            case.unit_id, {Role.INVESTIGATOR}
        ).order_by("first_name", "last_name")


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivering"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Skriv en motivering.")},
    )
    discharge_reason = forms.ModelChoiceField(
        label=_("Skäl för utskrivning"), queryset=DischargeReason.objects.none(), required=False
    )
    summary = forms.CharField(
        label=_("Avslutande sammanfattning"),
        help_text=_("Vad insatsen har lett till och hur det ser ut nu. Ärendet blir skrivskyddat."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        required=False,
    )

    def __init__(self, *args, case, transition, **kwargs):
        super().__init__(*args, **kwargs)
        if transition.needs_discharge_reason:
            self.fields["discharge_reason"].queryset = DischargeReason.objects.filter(
                unit=case.unit, active=True
            )
            self.fields["discharge_reason"].required = True
            self.fields["discharge_reason"].error_messages["required"] = _(
                "Välj skäl för utskrivning."
            )
            self.fields["summary"].required = True
            self.fields["summary"].error_messages["required"] = _(
                "Skriv en avslutande sammanfattning."
            )
        else:
            del self.fields["discharge_reason"]
            del self.fields["summary"]


class CaseFilterForm(forms.Form):
    SORTS = {
        "number": ("-year", "-sequence"),
        "-number": ("year", "sequence"),
        "alias": ("alias",),
        "state": ("state", "-year", "-sequence"),
        "updated": ("-updated_at",),
    }

    q = forms.CharField(
        label=_("Sök"),
        required=False,
        max_length=100,
        help_text=_("Alias, ärendenummer, namn eller personnummer."),
    )
    state = forms.ChoiceField(
        label=_("Steg"), required=False, choices=[("", _("Alla steg")), *State.choices]
    )
    coordinator = StaffChoiceField(
        label=_("Lots"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Alla lotsar"),
    )
    sort = forms.ChoiceField(
        label=_("Sortering"),
        required=False,
        choices=[
            ("number", _("Senaste ärendenummer först")),
            ("-number", _("Äldsta ärendenummer först")),
            ("alias", _("Alias")),
            ("state", _("Steg")),
            ("updated", _("Senast ändrade")),
        ],
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinator"].queryset = (
            User.objects.filter(
                memberships__organisation__unit__in=units,
                memberships__role=Role.COORDINATOR,
            )
            .distinct()
            .order_by("first_name", "last_name")
        )
