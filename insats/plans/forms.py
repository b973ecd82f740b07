"""Forms of the action plan (handlingsplan): the plan itself, its goals and its measures.

The whole plan is edited on one page: `PlanForm` for the plan's own fields and one formset each
for the goals and the measures. A measure names its goal and the measure it waits for by their
row numbers on the page ("Mål 1", "Åtgärd 2"); `plan_rows` turns the rows into the lists
`services.plan_save` takes. Blank extra rows are ignored, partly filled rows are checked.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from insats.access import policy
from insats.core.templatetags.insats import error_summary
from insats.organisations.models import Organisation

from .models import ActionPlan, PlanMeasure

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
MEMBER, STAFF = "member", "staff"

GOAL_FIELDS = ("life_area", "goal", "target", "measured_by", "closed_on")
MEASURE_FIELDS = (
    "goal",
    "what",
    "how",
    "where",
    "starts_on",
    "due_on",
    "after",
    "responsible",
    "responsible_organisation",
)


def _is_deleted(form) -> bool:
    return bool((getattr(form, "cleaned_data", None) or {}).get("DELETE"))


def _filled(form, fields) -> bool:
    """Has the user put anything in these fields (a value, or something that did not parse)?"""
    data = getattr(form, "cleaned_data", None) or {}
    return any(data.get(name) not in (None, "") for name in fields) or any(
        name in form.errors for name in fields
    )


# --- The plan ---------------------------------------------------------------------------------


class PlanForm(forms.Form):
    revision = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": _("Sidan saknar planens version. Ladda om sidan.")},
    )
    main_goal = forms.CharField(
        label=_("Huvudmål"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Vad den unge vill uppnå med insatsen, gärna med egna ord."),
        error_messages={"required": _("Skriv planens huvudmål.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ActionPlan.Status.choices,
        initial=ActionPlan.Status.DRAFT,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj status för planen.")},
    )
    commitments = forms.CharField(
        label=_("Den unges egna åtaganden"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Vad den unge själv lovar att göra. Ett åtagande per rad."),
    )
    follow_up_on = forms.DateField(
        label=_("Datum för nästa uppföljning"), required=False, widget=DATE
    )
    follow_up_time = forms.TimeField(label=_("Klockslag"), required=False, widget=TIME)
    next_follow_up_place = forms.CharField(
        label=_("Plats för uppföljningen"), required=False, max_length=200
    )
    acute_contact = forms.CharField(
        label=_("Vid akut läge, kontakta"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Namn och telefon till den som ska kontaktas i ett akut läge."),
    )

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("follow_up_on"), cleaned.get("follow_up_time")
        if day and not time and "follow_up_time" not in self.errors:
            self.add_error("follow_up_time", _("Ange klockslag för uppföljningen."))
        if time and not day and "follow_up_on" not in self.errors:
            self.add_error("follow_up_on", _("Ange datum för uppföljningen."))
        return cleaned

    def next_follow_up_at(self) -> datetime | None:
        """The date and time as one aware moment, read as Swedish time."""
        day, time = self.cleaned_data.get("follow_up_on"), self.cleaned_data.get("follow_up_time")
        if day is None or time is None:
            return None
        return datetime.combine(day, time, tzinfo=STOCKHOLM)

    def plan_fields(self) -> dict:
        """The plan's own fields, as plan_save() takes them."""
        data = self.cleaned_data
        return {
            "main_goal": data["main_goal"],
            "status": data["status"],
            "commitments": data.get("commitments", ""),
            "next_follow_up_at": self.next_follow_up_at(),
            "next_follow_up_place": data.get("next_follow_up_place", ""),
            "acute_contact": data.get("acute_contact", ""),
        }

    @staticmethod
    def initial_from(plan: ActionPlan | None) -> dict:
        if plan is None:
            return {"revision": 0, "status": ActionPlan.Status.DRAFT}
        initial = {
            "revision": plan.revision,
            "main_goal": plan.main_goal,
            "status": plan.status,
            "commitments": plan.commitments,
            "next_follow_up_place": plan.next_follow_up_place,
            "acute_contact": plan.acute_contact,
        }
        if plan.next_follow_up_at:
            local = timezone.localtime(plan.next_follow_up_at, STOCKHOLM)
            initial["follow_up_on"] = local.date()
            initial["follow_up_time"] = local.time().replace(second=0, microsecond=0)
        return initial


# --- Goals --------------------------------------------------------------------------------------


class GoalForm(forms.Form):
    """One goal; a row left completely blank is ignored, a partly filled one is checked."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    life_area = forms.TypedChoiceField(
        label=_("Livsområde"), coerce=int, empty_value=None, required=False
    )
    goal = forms.CharField(
        label=_("Mål"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    target = forms.CharField(label=_("När är målet nått?"), required=False, max_length=300)
    measured_by = forms.CharField(label=_("Hur mäts det?"), required=False, max_length=300)
    closed_on = forms.DateField(
        label=_("Avslutat"),
        required=False,
        widget=DATE,
        help_text=_("Datum då målet nåddes eller slutade gälla."),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {area.pk: area for area in areas}
        self.fields["life_area"].choices = [("", _("Välj livsområde"))] + [
            (area.pk, str(area)) for area in areas
        ]
        for name in ("life_area", "goal", "target", "measured_by"):
            self.fields[name].condition = _("krävs om raden fylls i")

    def is_blank(self) -> bool:
        return not _filled(self, ("id", *GOAL_FIELDS))

    def clean_life_area(self):
        pk = self.cleaned_data["life_area"]
        return self.areas[pk] if pk is not None else None

    def clean(self):
        data = super().clean()
        if _is_deleted(self) or self.is_blank():
            return data
        if data.get("life_area") is None and "life_area" not in self.errors:
            self.add_error("life_area", _("Välj livsområde för målet."))
        if not (data.get("goal") or "").strip():
            self.add_error("goal", _("Skriv målet."))
        if not (data.get("target") or "").strip():
            self.add_error("target", _("Ange när målet är nått."))
        if not (data.get("measured_by") or "").strip():
            self.add_error("measured_by", _("Ange hur det mäts."))
        return data


class BaseGoalFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Ta bort målet")

    def labels(self) -> list[str]:
        """What each row is called in the measures' "hör till mål" list."""
        result = []
        for number, form in enumerate(self.forms, start=1):
            text = (form["goal"].value() or "").strip()
            if text:
                text = Truncator(" ".join(text.split())).chars(50)
                result.append(_("Mål %(number)s: %(goal)s") % {"number": number, "goal": text})
            else:
                result.append(_("Mål %(number)s (tom rad)") % {"number": number})
        return result


GoalFormSet = forms.formset_factory(
    GoalForm, formset=BaseGoalFormSet, extra=2, can_delete=True, can_delete_extra=False
)


def goal_formset(data=None, *, areas, initial=None) -> BaseGoalFormSet:
    """`areas`: the life areas to choose from, read once for every row."""
    return GoalFormSet(data, initial=initial, prefix="goals", form_kwargs={"areas": list(areas)})


def goal_initial(goal) -> dict:
    return {
        "id": goal.pk,
        "life_area": goal.life_area_id,
        "goal": goal.goal,
        "target": goal.target,
        "measured_by": goal.measured_by,
        "closed_on": goal.closed_on,
    }


# --- Measures -----------------------------------------------------------------------------------


class Responsible:
    """The people a measure can be given to: the group's active members and the unit's
    social-services staff, as one list of choices ("member:<pk>", "staff:<pk>")."""

    def __init__(self, case):
        members = case.members.filter(removed_at__isnull=True).select_related(
            "user", "organisation"
        )
        staff = policy.unit_staff(case.unit_id).order_by("first_name", "last_name", "username")
        self.objects: dict[str, tuple[str, object]] = {}
        member_choices, staff_choices = [], []
        for member in members:
            key = f"{MEMBER}:{member.pk}"
            self.objects[key] = (MEMBER, member)
            where = member.organisation or member.function or _("nätverket")
            member_choices.append((key, f"{member.display_name} ({where})"))
        for user in staff:
            key = f"{STAFF}:{user.pk}"
            self.objects[key] = (STAFF, user)
            staff_choices.append((key, str(user)))
        self.choices = [("", _("Välj ansvarig"))]
        if member_choices:
            self.choices.append((_("Gruppen"), member_choices))
        if staff_choices:
            self.choices.append((_("Socialtjänsten"), staff_choices))

    @staticmethod
    def key_of(measure) -> str:
        if measure.responsible_member_id:
            return f"{MEMBER}:{measure.responsible_member_id}"
        if measure.responsible_staff_id:
            return f"{STAFF}:{measure.responsible_staff_id}"
        return ""


class MeasureForm(forms.Form):
    """One measure; a row left completely blank is ignored, a partly filled one is checked."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    goal = forms.TypedChoiceField(
        label=_("Hör till mål"), coerce=int, empty_value=None, required=False
    )
    what = forms.CharField(label=_("Vad ska göras?"), required=False, max_length=300)
    how = forms.CharField(label=_("Hur?"), required=False, max_length=300)
    where = forms.CharField(label=_("Var?"), required=False, max_length=200)
    starts_on = forms.DateField(label=_("Start"), required=False, widget=DATE)
    due_on = forms.DateField(label=_("Klart senast"), required=False, widget=DATE)
    after = forms.TypedChoiceField(
        label=_("Väntar på"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("En åtgärd som ska vara klar innan den här kan börja."),
    )
    responsible = forms.ChoiceField(label=_("Ansvarig"), required=False)
    responsible_organisation = forms.TypedChoiceField(
        label=_("Ansvarig organisation"), coerce=int, empty_value=None, required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=PlanMeasure.Status.choices, initial=PlanMeasure.Status.PLANNED
    )

    def __init__(self, *args, goal_labels, rows, responsible, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.responsible = responsible
        self.fields["goal"].choices = [("", _("Välj mål")), *enumerate(goal_labels)]
        self.fields["after"].choices = [("", _("Ingen annan åtgärd"))] + [
            (index, _("Åtgärd %(number)s") % {"number": index + 1}) for index in range(rows)
        ]
        self.fields["responsible"].choices = responsible.choices
        self.organisations = {organisation.pk: organisation for organisation in organisations}
        self.fields["responsible_organisation"].choices = [("", _("Ingen angiven"))] + [
            (organisation.pk, str(organisation)) for organisation in organisations
        ]
        for name in ("goal", "what", "due_on", "responsible"):
            self.fields[name].condition = _("krävs om raden fylls i")
        gone = self.initial.get("gone")
        if gone:
            self.fields["responsible"].help_text = _(
                "%(name)s var ansvarig men är inte längre med i gruppen. Välj en ny ansvarig."
            ) % {"name": gone}

    def is_blank(self) -> bool:
        return not _filled(self, ("id", *MEASURE_FIELDS))

    def clean_responsible_organisation(self):
        pk = self.cleaned_data["responsible_organisation"]
        return self.organisations[pk] if pk is not None else None

    def clean_responsible(self):
        key = self.cleaned_data["responsible"]
        return self.responsible.objects.get(key) if key else None

    def clean(self):
        data = super().clean()
        if _is_deleted(self) or self.is_blank():
            return data
        if data.get("goal") is None and "goal" not in self.errors:
            self.add_error("goal", _("Välj vilket mål åtgärden hör till."))
        if not (data.get("what") or "").strip():
            self.add_error("what", _("Skriv vad som ska göras."))
        if data.get("due_on") is None and "due_on" not in self.errors:
            self.add_error("due_on", _("Ange när åtgärden ska vara klar."))
        if data.get("responsible") is None and "responsible" not in self.errors:
            self.add_error("responsible", _("Välj vem som ansvarar för åtgärden."))
        starts, due = data.get("starts_on"), data.get("due_on")
        if starts and due and starts > due:
            self.add_error(
                "starts_on", _("Starten kan inte ligga efter datumet då åtgärden ska vara klar.")
            )
        return data


class BaseMeasureFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Ta bort åtgärden")

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "rows": self.total_form_count()}


MeasureFormSet = forms.formset_factory(
    MeasureForm, formset=BaseMeasureFormSet, extra=3, can_delete=True, can_delete_extra=False
)


def measure_formset(
    data=None, *, case, goal_labels, responsible, initial=None
) -> BaseMeasureFormSet:
    return MeasureFormSet(
        data,
        initial=initial,
        prefix="measures",
        form_kwargs={
            "goal_labels": goal_labels,
            "responsible": responsible,
            "organisations": list(Organisation.objects.filter(unit_id=case.unit_id)),
        },
    )


def measure_initial(measure, goal_index: dict, measure_index: dict, responsible) -> dict:
    key = Responsible.key_of(measure)
    initial = {
        "id": measure.pk,
        "goal": goal_index.get(measure.goal_id),
        "what": measure.what,
        "how": measure.how,
        "where": measure.where,
        "starts_on": measure.starts_on,
        "due_on": measure.due_on,
        "after": measure_index.get(measure.after_id),
        "responsible": key if key in responsible.objects else "",
        "responsible_organisation": measure.responsible_organisation_id,
        "status": measure.status,
    }
    if key and key not in responsible.objects:
        initial["gone"] = measure.responsible_name
    return initial


# --- From the rows to plan_save() -------------------------------------------------------------


def _kept(formset) -> list[int]:
    """The row indexes that are filled in and not removed."""
    return [
        index
        for index, form in enumerate(formset.forms)
        if not _is_deleted(form) and getattr(form, "cleaned_data", None) and not form.is_blank()
    ]


def plan_rows(goals_formset, measures_formset) -> tuple[list[dict], list[dict]] | None:
    """The goals and measures as plan_save() takes them, or None after marking the rows whose
    "hör till mål" or "väntar på" points at a row that is empty or removed."""
    goal_rows = _kept(goals_formset)
    measure_rows = _kept(measures_formset)
    goal_at = {row: position for position, row in enumerate(goal_rows)}
    measure_at = {row: position for position, row in enumerate(measure_rows)}
    ok = True
    waits_for: dict[int, int] = {}
    for row in measure_rows:
        form = measures_formset.forms[row]
        data = form.cleaned_data
        if data.get("goal") not in goal_at:
            form.add_error("goal", _("Målet är tomt eller tas bort. Välj ett annat mål."))
            ok = False
        after = data.get("after")
        if after is None:
            continue
        if after == row:
            form.add_error("after", _("En åtgärd kan inte vänta på sig själv."))
            ok = False
        elif after not in measure_at:
            form.add_error(
                "after", _("Åtgärden den väntar på är tom eller tas bort. Välj en annan.")
            )
            ok = False
        else:
            waits_for[row] = after
    for start in list(waits_for):
        seen, row = {start}, waits_for[start]
        while row in waits_for:
            if row in seen:
                measures_formset.forms[start].add_error(
                    "after", _("Åtgärderna väntar på varandra i en cirkel.")
                )
                ok = False
                break
            seen.add(row)
            row = waits_for[row]
    if not ok:
        return None
    goals = []
    for row in goal_rows:
        data = goals_formset.forms[row].cleaned_data
        goals.append(
            {
                "id": data.get("id"),
                "life_area": data["life_area"],
                "goal": data["goal"],
                "target": data["target"],
                "measured_by": data["measured_by"],
                "closed_on": data.get("closed_on"),
            }
        )
    measures = []
    for row in measure_rows:
        data = measures_formset.forms[row].cleaned_data
        kind, person = data["responsible"]
        after = data.get("after")
        measures.append(
            {
                "id": data.get("id"),
                "goal": goal_at[data["goal"]],
                "what": data["what"],
                "how": data.get("how", ""),
                "where": data.get("where", ""),
                "starts_on": data.get("starts_on"),
                "due_on": data["due_on"],
                "after": measure_at[after] if after is not None else None,
                "responsible_member": person if kind == MEMBER else None,
                "responsible_staff": person if kind == STAFF else None,
                "responsible_organisation": data.get("responsible_organisation"),
                "status": data["status"],
            }
        )
    return goals, measures


def summary(form, goals_formset, measures_formset) -> list[tuple]:
    """Every error of the page for the error summary: (anchor, label, message)."""
    errors = error_summary(form)["errors"]
    for formset, anchor, title, name in (
        (goals_formset, "goals", _("Mål"), _("Mål %(number)s")),
        (measures_formset, "measures", _("Åtgärder"), _("Åtgärd %(number)s")),
    ):
        errors += [(anchor, title, error) for error in formset.non_form_errors()]
        for number, row in enumerate(formset.forms, start=1):
            if _is_deleted(row):
                continue
            row_label = name % {"number": number}
            for field_anchor, label, error in error_summary(row)["errors"]:
                label = f"{row_label}, {label}" if label else row_label
                errors.append((field_anchor or anchor, label, error))
    return errors
