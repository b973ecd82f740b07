"""Forms for meetings: the list filter, choosing what to plan, the meeting itself with its
invitees, attendance, the link to a follow-up of the action plan."""

from datetime import datetime, time

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from insats.cases.models import Case
from insats.organisations.models import Organisation, Unit, User

from .ics import STOCKHOLM, local
from .models import Group, Meeting
from .services_meetings import CASE_KINDS, GROUP_KINDS, Invitee

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class MeetingFilterForm(forms.Form):
    UPCOMING, PAST, ALL = "kommande", "tidigare", "alla"

    typ = forms.ChoiceField(
        label=_("Typ av möte"),
        required=False,
        choices=[("", _("Alla typer")), *Meeting.Kind.choices],
    )
    visa = forms.ChoiceField(
        label=_("Visa"),
        required=False,
        choices=[
            (UPCOMING, _("Kommande möten")),
            (PAST, _("Tidigare möten")),
            (ALL, _("Alla möten")),
        ],
    )
    fran = forms.DateField(label=_("Från och med"), required=False, widget=DATE)
    till = forms.DateField(label=_("Till och med"), required=False, widget=DATE)


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_kind_display()}: {obj.name}"


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.alias


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class MeetingSetupForm(forms.Form):
    """First step: what kind of meeting, for which group or case (read from the query)."""

    unit = forms.ModelChoiceField(label=_("Enhet"), queryset=Unit.objects.none(), required=False)
    kind = forms.ChoiceField(
        label=_("Typ av möte"),
        choices=Meeting.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj typ av möte.")},
    )
    group = GroupChoiceField(
        label=_("Grupp"),
        queryset=Group.objects.none(),
        required=False,
        help_text=_("För styrgrupp, operativ ledningsgrupp och beredningsgrupp."),
    )
    case = CaseChoiceField(
        label=_("Ärende"),
        queryset=Case.objects.none(),
        required=False,
        help_text=_("För individuell grupp och nätverksmöte."),
    )

    def __init__(self, *args, units, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk
            self.fields["unit"].widget = forms.HiddenInput()
        self.fields["group"].queryset = (
            Group.objects.filter(unit__in=units, active=True)
            .select_related("unit")
            .order_by("kind", "name")
        )
        self.fields["case"].queryset = cases

    def clean(self):
        cleaned = super().clean()
        kind, group, case = cleaned.get("kind"), cleaned.get("group"), cleaned.get("case")
        if kind in GROUP_KINDS:
            cleaned["case"] = None
            if group is None:
                self.add_error("group", _("Välj vilken grupp som ska mötas."))
            elif group.kind != GROUP_KINDS[kind]:
                self.add_error(
                    "group",
                    _("Gruppen är en %(group)s, inte en %(meeting)s.")
                    % {
                        "group": group.get_kind_display().lower(),
                        "meeting": Meeting.Kind(kind).label.lower(),
                    },
                )
            else:
                cleaned["unit"] = group.unit
        elif kind in CASE_KINDS:
            cleaned["group"] = None
            if case is None:
                self.add_error("case", _("Välj vilket ärende mötet gäller."))
            else:
                cleaned["unit"] = case.unit
        elif kind:
            cleaned["group"] = cleaned["case"] = None
            units = self.fields["unit"].queryset
            if cleaned.get("unit") is None and len(units) == 1:
                cleaned["unit"] = units[0]
            if cleaned.get("unit") is None:
                self.add_error("unit", _("Välj enhet."))
        return cleaned


class MeetingForm(forms.Form):
    """The meeting's details and who is invited (default invitees ticked)."""

    title = forms.CharField(label=_("Rubrik"), max_length=200, required=False)
    date = forms.DateField(
        label=_("Datum"), widget=DATE, error_messages={"required": _("Ange datum.")}
    )
    start_time = forms.TimeField(
        label=_("Börjar"), widget=TIME, error_messages={"required": _("Ange när mötet börjar.")}
    )
    end_time = forms.TimeField(
        label=_("Slutar"), widget=TIME, error_messages={"required": _("Ange när mötet slutar.")}
    )
    place = forms.CharField(
        label=_("Plats"), max_length=200, error_messages={"required": _("Ange var mötet hålls.")}
    )
    convener = StaffChoiceField(
        label=_("Sammankallande"),
        queryset=User.objects.none(),
        error_messages={"required": _("Välj vem som kallar till mötet.")},
    )
    invitees = forms.MultipleChoiceField(
        label=_("Inbjudna"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Bocka ur den som inte ska bjudas in. Den som saknar grund att få veta vad mötet "
            "gäller är inte förvald; bjuder du in hen ändå får hen bara tid och plats."
        ),
    )
    more_users = forms.MultipleChoiceField(
        label=_("Bjud in fler användare"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args,
        about_case: bool,
        staff,
        candidates: list[tuple[str, Invitee]],
        memberships,
        meeting: Meeting | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.candidates = dict(candidates)
        self.fields["convener"].queryset = staff
        self.fields["invitees"].choices = [
            (key, _label(invitee)) for key, invitee in self.candidates.items()
        ]
        invited_users = {i.user.pk for i in self.candidates.values() if i.user is not None}
        self.memberships = {}
        for membership in memberships:
            if membership.user_id in invited_users:
                continue
            self.memberships.setdefault(f"m{membership.pk}", membership)
        self.fields["more_users"].choices = [
            (key, f"{_person(m.user)} – {m.organisation}") for key, m in self.memberships.items()
        ]
        if not self.memberships:
            del self.fields["more_users"]
        if about_case:
            self.fields["title"].help_text = _(
                "Frivillig. Utan rubrik heter mötet som typen och ärendets alias. "
                "Skriv aldrig personens namn i rubriken."
            )
        else:
            self.fields["title"].required = True
            self.fields["title"].error_messages["required"] = _("Ange en rubrik för mötet.")
        if meeting is not None:
            start, end = local(meeting.starts_at), local(meeting.ends_at)
            self.initial.update(
                title=meeting.title,
                date=start.date(),
                start_time=start.time(),
                end_time=end.time(),
                place=meeting.place,
                convener=meeting.convener_id,
            )

    @property
    def invitee_rows(self) -> list[tuple]:
        """(checkbox, invitee) per candidate, for showing each one's warning beside it."""
        return [(choice, self.candidates[choice.data["value"]]) for choice in self["invitees"]]

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day and start and end:
            cleaned["starts_at"] = _aware(day, start)
            cleaned["ends_at"] = _aware(day, end)
            if end <= start:
                self.add_error("end_time", _("Mötet måste sluta efter att det har börjat."))
        return cleaned

    def chosen_invitees(self, externals) -> list[Invitee]:
        """The ticked candidates, the added users and the typed-in outsiders."""
        chosen = [self.candidates[key] for key in self.cleaned_data.get("invitees", [])]
        for key in self.cleaned_data.get("more_users", []):
            membership = self.memberships[key]
            chosen.append(Invitee(membership.user, organisation=membership.organisation))
        chosen += externals.invitees()
        return chosen

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "convener": data["convener"],
        }


def _aware(day, moment: time) -> datetime:
    return datetime.combine(day, moment).replace(tzinfo=STOCKHOLM)


def _person(user) -> str:
    return user.get_full_name() or user.username


def _label(invitee: Invitee) -> str:
    name = invitee.display_name
    if invitee.organisation is not None:
        name = f"{name} – {invitee.organisation}"
    if invitee.user is None:
        name = f"{name} ({invitee.email or _('saknar e-post')})"
    return name


class ExternalInviteeForm(forms.Form):
    name = forms.CharField(label=_("Namn"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("E-post"),
        required=False,
        error_messages={"invalid": _("Ange en giltig e-postadress.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if unit is not None:
            self.fields["organisation"].queryset = Organisation.objects.filter(unit=unit)

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("email") or cleaned.get("organisation")) and not cleaned.get("name"):
            self.add_error("name", _("Ange namnet på den som bjuds in."))
        return cleaned


class BaseExternalFormSet(forms.BaseFormSet):
    def invitees(self) -> list[Invitee]:
        return [
            Invitee(
                name=form.cleaned_data["name"],
                email=form.cleaned_data.get("email") or "",
                organisation=form.cleaned_data.get("organisation"),
            )
            for form in self.forms
            if form.has_changed() and form.cleaned_data.get("name")
        ]


ExternalFormSet = formset_factory(ExternalInviteeForm, formset=BaseExternalFormSet, extra=2)


def external_formset(data=None, *, unit):
    return ExternalFormSet(data, prefix="external", form_kwargs={"unit": unit})


class AttendanceForm(forms.Form):
    attended = forms.MultipleChoiceField(
        label=_("Närvarande"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Bocka i dem som var med på mötet."),
    )
    held = forms.BooleanField(label=_("Mötet är genomfört"), required=False)

    def __init__(self, *args, invitations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [
            (str(i.pk), f"{i.display_name}" + (f" – {i.organisation}" if i.organisation else ""))
            for i in invitations
        ]
        self.initial.setdefault("attended", [str(i.pk) for i in invitations if i.attended])

    def clean_attended(self):
        return {int(pk) for pk in self.cleaned_data["attended"]}


class FollowUpLinkForm(forms.Form):
    follow_up = forms.ModelChoiceField(
        label=_("Uppföljning av handlingsplanen"),
        queryset=None,
        required=False,
        empty_label=_("Ingen koppling"),
    )

    def __init__(self, *args, follow_ups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up"].queryset = follow_ups
        self.fields["follow_up"].label_from_instance = lambda f: (
            _("Uppföljning %(day)s") % {"day": f.held_on.isoformat()}
        )
