from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AccessLogEntry, LogReview

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LogFilterForm(forms.Form):
    case = forms.IntegerField(label=_("Ärende-id"), required=False, min_value=1)
    username = forms.CharField(label=_("Användarnamn"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Händelse"),
        required=False,
        choices=[("", _("Alla händelser")), *AccessLogEntry.Action.choices],
    )
    start = forms.DateField(label=_("Från och med"), required=False, widget=DATE)
    end = forms.DateField(label=_("Till och med"), required=False, widget=DATE)
    flagged = forms.BooleanField(label=_("Endast markerade"), required=False)


class FlagForm(forms.Form):
    note = forms.CharField(
        label=_("Varför ska posten följas upp?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class LogReviewForm(forms.ModelForm):
    class Meta:
        model = LogReview
        fields = ["unit", "performed_on", "scope", "findings"]
        widgets = {
            "performed_on": DATE,
            "scope": forms.Textarea(attrs={"rows": 3}),
            "findings": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = None
        self.initial.setdefault("performed_on", timezone.localdate())
