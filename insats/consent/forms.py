"""Forms for consent, revocation, scans, group members and disclosures."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import (
    InformationCategory,
    LegalReference,
    Organisation,
)

from .models import Consent

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConsentForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisationer som får utbyta uppgifter"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Minst polisen. Ett samtycke utan angivna parter är inte giltigt."),
        error_messages={"required": _("Välj minst en organisation.")},
    )
    network_members = forms.ModelMultipleChoiceField(
        label=_("Personer i den enskildes nätverk"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Uppgifter som får utbytas"),
        queryset=InformationCategory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Välj minst en uppgiftskategori.")},
    )
    form = forms.ChoiceField(
        label=_("Form"),
        choices=Consent.Form.choices,
        widget=forms.RadioSelect,
        initial=Consent.Form.WRITTEN,
    )
    oral_received_by = forms.CharField(
        label=_("Muntligt samtycke mottaget av"),
        required=False,
        max_length=200,
        help_text=_("Krävs för muntligt samtycke. Skriftligt samtycke rekommenderas."),
    )
    place = forms.CharField(label=_("Ort"), max_length=100)
    signed_on = forms.DateField(label=_("Datum för samtycket"), widget=DATE)
    valid_from = forms.DateField(label=_("Gäller från"), widget=DATE)
    valid_until = forms.DateField(label=_("Gäller till och med"), widget=DATE)
    person_signed = forms.BooleanField(label=_("Den enskilde har samtyckt"), required=False)
    guardians_signed = forms.ModelMultipleChoiceField(
        label=_("Vårdnadshavare som har samtyckt"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    own_consent_judgement = forms.CharField(
        label=_("Bedömning att den unges eget samtycke räcker"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Endast för den som är under 18 år och bedöms mogen att samtycka själv."),
    )
    officer_name = forms.CharField(label=_("Handläggare"), max_length=200)
    officer_phone = forms.CharField(label=_("Handläggarens telefon"), max_length=40)
    officer_organisation = forms.ModelChoiceField(
        label=_("Handläggarens organisation"), queryset=Organisation.objects.none()
    )
    research_follow_up = forms.BooleanField(
        label=_("Samtycker till forskningsuppföljning inom fem år efter avslut"), required=False
    )

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.filter(unit=case.unit)
        self.fields["organisations"].queryset = organisations.exclude(kind="social_services")
        self.fields["officer_organisation"].queryset = organisations
        self.fields["categories"].queryset = InformationCategory.objects.filter(
            unit=case.unit, active=True
        )
        self.fields["network_members"].queryset = case.members.filter(
            user__isnull=True, removed_at__isnull=True
        )
        self.fields["guardians_signed"].queryset = (
            case.person.guardians.all() if case.person else Organisation.objects.none()
        )
        if not self.fields["network_members"].queryset.exists():
            del self.fields["network_members"]
        today = timezone.localdate()
        self.initial.update(
            signed_on=today,
            valid_from=today,
            valid_until=today + timedelta(days=365),
            officer_name=user.get_full_name(),
            officer_phone=user.phone,
            officer_organisation=organisations.filter(kind="social_services").first(),
            categories=self.fields["categories"].queryset,
            organisations=organisations.filter(kind="police"),
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("Samtycket kan inte upphöra innan det börjar gälla."))
        return cleaned


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(label=_("Återkallat den"), widget=DATE)
    how = forms.CharField(
        label=_("Hur återkallades samtycket?"),
        max_length=200,
        help_text=_("T.ex. muntligt vid möte, per telefon eller skriftligt."),
    )


class ScanForm(forms.Form):
    scan = forms.FileField(
        label=_("Inskannat, undertecknat samtycke"),
        help_text=_("PDF, JPEG eller PNG, högst 10 MB."),
    )


class MemberUserForm(forms.Form):
    membership = forms.ChoiceField(label=_("Person och organisation"))
    function = forms.CharField(
        label=_("Funktion i gruppen"),
        required=False,
        max_length=200,
        help_text=_("T.ex. kommunpolis, mentor, fritidsledare."),
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = {str(m.pk): m for m in memberships}
        self.fields["membership"].choices = [("", "---------")] + [
            (key, f"{m.user.get_full_name() or m.user.username} – {m.organisation}")
            for key, m in self.memberships.items()
        ]

    def clean_membership(self):
        return self.memberships[self.cleaned_data["membership"]]


class MemberExternalForm(forms.Form):
    name = forms.CharField(label=_("Namn"), max_length=200)
    function = forms.CharField(
        label=_("Funktion i gruppen"),
        required=False,
        max_length=200,
        help_text=_("T.ex. fotbollstränare, släkting."),
    )
    phone = forms.CharField(label=_("Telefon"), required=False, max_length=40)
    email = forms.EmailField(label=_("E-post"), required=False)
    has_confidentiality_duty = forms.BooleanField(
        label=_("Har tystnadsplikt eller sekretess"),
        required=False,
        help_text=_("Personer utan tystnadsplikt ser bara det lotsen delar med dem."),
    )


class DisclosureForm(forms.Form):
    information = forms.CharField(
        label=_("Vilka uppgifter lämnades?"), widget=forms.Textarea(attrs={"rows": 3})
    )
    to_organisation = forms.ModelChoiceField(
        label=_("Till organisation"), queryset=Organisation.objects.none()
    )
    to_person = forms.CharField(label=_("Till person"), required=False, max_length=200)
    disclosed_on = forms.DateField(label=_("Datum"), widget=DATE)
    legal_basis = forms.ModelChoiceField(label=_("Lagrum"), queryset=LegalReference.objects.none())
    note = forms.CharField(
        label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = Organisation.objects.filter(
            unit=case.unit
        ).exclude(kind="social_services")
        self.fields["legal_basis"].queryset = LegalReference.objects.filter(
            unit=case.unit, kind=LegalReference.Kind.DISCLOSURE, active=True
        )
        self.initial.setdefault("disclosed_on", timezone.localdate())
