"""The form to record that the person was given the information letter (bilaga 3.0)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.access import policy
from insats.investigation.models import InformationLetter
from insats.organisations.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LetterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        label = f"{obj.title} ({obj.version})"
        return label if obj.active else f"{label} – {_('används inte längre')}"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class HandoverForm(forms.Form):
    letter = LetterChoiceField(
        label=_("Informationsbrev"),
        queryset=InformationLetter.objects.none(),
        error_messages={"required": _("Välj vilket informationsbrev som lämnades.")},
    )
    handed_over_on = forms.DateField(
        label=_("Överlämnat datum"),
        widget=DATE,
        error_messages={"required": _("Ange när brevet lämnades.")},
    )
    handed_over_by = UserChoiceField(
        label=_("Överlämnat av"),
        queryset=User.objects.none(),
        error_messages={"required": _("Välj vem som lämnade brevet.")},
    )
    note = forms.CharField(
        label=_("Anteckning"),
        required=False,
        max_length=300,
        help_text=_("T.ex. att brevet lästes upp tillsammans med den enskilde."),
    )

    def __init__(self, *args, case, user, active_letter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["letter"].queryset = InformationLetter.objects.filter(
            unit_id=case.unit_id
        ).order_by("-active", "-created_at", "-pk")
        self.fields["handed_over_by"].queryset = policy.unit_staff(case.unit_id).order_by(
            "first_name", "last_name", "username"
        )
        self.initial.setdefault("letter", active_letter.pk if active_letter else None)
        self.initial.setdefault("handed_over_on", timezone.localdate())
        self.initial.setdefault("handed_over_by", user.pk)
