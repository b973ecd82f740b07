"""Forms of the unit's returnee register."""

from django import forms
from django.utils.translation import gettext_lazy as _

from insats.access import policy
from insats.cases.models import Case

from .models import Returnee

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INVALID_DATE = _("Ange ett giltigt datum (åååå-mm-dd).")

# The form's fields, named as returnee_save() takes them.
FIELDS = (
    "kind",
    "case",
    "name",
    "age",
    "institution",
    "expected_on",
    "note",
    "returned_on",
)


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.alias


class ReturneeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Placerad hos"),
        choices=Returnee.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj var personen är placerad.")},
    )
    case = CaseChoiceField(
        label=_("Ärende"),
        queryset=Case.objects.none(),
        required=False,
        empty_label=_("Inget ärende"),
        help_text=_("Välj ärendet om personen har ett; annars skriv namnet nedan."),
        error_messages={"invalid_choice": _("Välj ett av enhetens ärenden.")},
    )
    name = forms.CharField(
        label=_("Namn"),
        required=False,
        max_length=200,
        help_text=_("Endast när det inte finns något ärende att koppla till."),
    )
    age = forms.IntegerField(
        label=_("Ålder"),
        min_value=1,
        max_value=99,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("SiS: 15–21 år. Kriminalvården: 15–25 år."),
        error_messages={
            "required": _("Ange personens ålder."),
            "invalid": _("Ange åldern i hela år."),
            "min_value": _("Ange en ålder mellan 1 och 99 år."),
            "max_value": _("Ange en ålder mellan 1 och 99 år."),
        },
    )
    institution = forms.CharField(
        label=_("Institution eller anstalt"),
        max_length=200,
        error_messages={"required": _("Ange institution eller anstalt.")},
    )
    expected_on = forms.DateField(
        label=_("Beräknad hemkomst eller frigivning"),
        widget=DATE,
        error_messages={
            "required": _("Ange beräknat datum för hemkomst eller frigivning."),
            "invalid": INVALID_DATE,
        },
    )
    note = forms.CharField(
        label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    returned_on = forms.DateField(
        label=_("Kom hem"),
        required=False,
        widget=DATE,
        help_text=_("Fyll i när personen har kommit hem."),
        error_messages={"invalid": INVALID_DATE},
    )

    def __init__(self, *args, user, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = (
            policy.cases_visible_to(user).filter(unit_id=unit.pk).order_by("alias", "pk")
        )
        self.fields["case"].condition = _("ärende eller namn krävs")
        self.fields["name"].condition = _("ärende eller namn krävs")


def initial_from(returnee: Returnee) -> dict:
    initial = {name: getattr(returnee, name) for name in FIELDS}
    initial["case"] = returnee.case_id
    return initial
