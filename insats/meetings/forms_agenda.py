"""Forms of the agenda: an item of each part, the minutes of an item and its tasks."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from insats.access import policy
from insats.cases.lifecycle import CLOSED_STATES
from insats.cases.models import Case
from insats.casework.models import Returnee
from insats.core.templatetags.insats import error_summary

from .models import AgendaItem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
Part = AgendaItem.Part

TITLE_HELP = {
    Part.INDIVIDUAL: _("Lämna tomt så används ärendets alias."),
    Part.RETURNEES: _("Lämna tomt så används återvändarens namn eller ärendets alias."),
    Part.GENERAL: _(
        "T.ex. Valborg, skolavslutning, Lucia eller en händelse i området som gruppen ska "
        "känna till."
    ),
}


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.alias} ({obj.number})"


class ReturneeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        who = obj.case.alias if obj.case_id else obj.name
        return f"{who} – {obj.institution}, {obj.expected_on:%Y-%m-%d}"


class ItemForm(forms.Form):
    """One agenda item; which fields it has depends on the part of the agenda."""

    case = CaseChoiceField(
        label=_("Ärende"),
        queryset=Case.objects.none(),
        error_messages={"required": _("Välj vilket ärende punkten gäller.")},
        help_text=_(
            "Punkten visas i sin helhet bara för dem som får se ärendet: ärendets grupp "
            "under ett gällande samtycke och socialtjänsten."
        ),
    )
    returnee = ReturneeChoiceField(
        label=_("Återvändare"),
        queryset=Returnee.objects.none(),
        required=False,
        empty_label=_("Ingen i registret – skriv en egen rubrik"),
        help_text=_("Punkter om återvändare visas bara för socialtjänsten."),
    )
    title = forms.CharField(label=_("Rubrik"), max_length=200, required=False)
    preparation = forms.CharField(
        label=_("Underlag"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Det gruppen behöver veta inför punkten."),
    )

    def __init__(self, *args, part: str, meeting, user, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.part = part
        self.fields["title"].help_text = TITLE_HELP[part]
        if part == Part.INDIVIDUAL:
            cases = (
                policy.cases_visible_to(user)
                .filter(unit_id=meeting.unit_id)
                .exclude(state__in=CLOSED_STATES)
            )
            if item is not None and item.case_id is not None:
                cases = cases | Case.objects.filter(pk=item.case_id)
            self.fields["case"].queryset = cases.select_related("unit").order_by("alias", "pk")
        else:
            del self.fields["case"]
        if part == Part.RETURNEES:
            self.fields["returnee"].queryset = (
                Returnee.objects.filter(unit_id=meeting.unit_id)
                .filter(returned_on__isnull=True)
                .select_related("case")
                .order_by("expected_on", "pk")
            )
            if item is not None and item.returnee_id is not None:
                self.fields["returnee"].queryset = (
                    Returnee.objects.filter(unit_id=meeting.unit_id)
                    .select_related("case")
                    .order_by("expected_on", "pk")
                )
        else:
            del self.fields["returnee"]
        if part == Part.GENERAL:
            self.fields["title"].required = True
            self.fields["title"].error_messages["required"] = _("Skriv en rubrik för punkten.")

    def clean(self):
        data = super().clean()
        if (
            self.part == Part.RETURNEES
            and not data.get("returnee")
            and not (data.get("title") or "").strip()
            and "returnee" not in self.errors
        ):
            self.add_error("title", _("Välj en återvändare eller skriv en rubrik."))
        return data


def item_initial(item: AgendaItem) -> dict:
    return {
        "case": item.case_id,
        "returnee": item.returnee_id,
        "title": item.title,
        "preparation": item.preparation,
    }


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Protokoll"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Vad som sades och beslutades. Beslut som någon ska göra skrivs som uppgifter."
        ),
    )


TASK_FIELDS = ("description", "responsible", "due_on")


class TaskForm(forms.Form):
    """One decision; a row left completely blank is ignored, a partly filled one is checked."""

    task_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(label=_("Beslut/uppgift"), required=False, max_length=300)
    responsible = forms.ChoiceField(
        label=_("Ansvarig"),
        required=False,
        error_messages={"invalid_choice": _("Välj en ansvarig i listan.")},
    )
    due_on = forms.DateField(
        label=_("Klart senast"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("Skriv datumet som ÅÅÅÅ-MM-DD.")},
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {str(user.pk): user for user in users}
        self.fields["responsible"].choices = [("", "---------")] + [
            (key, user.get_full_name() or user.username) for key, user in self.users.items()
        ]
        for name in TASK_FIELDS:
            self.fields[name].condition = _("krävs om raden fylls i")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return not data.get("task_id") and not any(
            data.get(name) or self.errors.get(name) for name in TASK_FIELDS
        )

    def clean_responsible(self):
        key = self.cleaned_data.get("responsible") or ""
        if not key:
            return None
        if key not in self.users:
            raise ValidationError(_("Välj en ansvarig i listan."))
        return self.users[key]

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if self.cleaned_data.get("DELETE"):
            return data
        if not (data.get("description") or "").strip():
            self.add_error("description", _("Beskriv beslutet eller uppgiften."))
        if not data.get("responsible") and "responsible" not in self.errors:
            self.add_error("responsible", _("Välj vem som ansvarar för uppgiften."))
        if not data.get("due_on") and "due_on" not in self.errors:
            self.add_error("due_on", _("Ange när uppgiften ska vara klar."))
        return data


class BaseTaskFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Ta bort uppgiften")


TaskFormSet = forms.formset_factory(
    TaskForm, formset=BaseTaskFormSet, extra=2, can_delete=True, can_delete_extra=False
)


def task_formset(data=None, *, users, tasks=()):
    """The tasks of an item (or of the general minutes) and two blank rows."""
    users = list(users)
    known = {user.pk for user in users}
    for task in tasks:  # keep a former invitee selectable on the task they already have
        if task.responsible_id not in known:
            users.append(task.responsible)
            known.add(task.responsible_id)
    initial = [
        {
            "task_id": task.pk,
            "description": task.description,
            "responsible": str(task.responsible_id),
            "due_on": task.due_on,
        }
        for task in tasks
    ]
    return TaskFormSet(data, initial=initial, prefix="tasks", form_kwargs={"users": users})


def task_rows(formset) -> list[dict]:
    """The filled-in rows of a valid formset, as the services take them."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or form.is_blank():
            continue
        delete = bool(formset.can_delete and formset._should_delete_form(form))
        if delete and not data.get("task_id"):
            continue
        rows.append(
            {
                "task_id": data.get("task_id"),
                "description": data.get("description") or "",
                "responsible": data.get("responsible"),
                "due_on": data.get("due_on"),
                "delete": delete,
            }
        )
    return rows


def split_service_errors(exc: ValidationError) -> tuple[ValidationError | None, list[str]]:
    """Separate the errors about the tasks (shown at the tasks) from the rest."""
    if not hasattr(exc, "error_dict") or "tasks" not in exc.error_dict:
        return exc, []
    tasks = ValidationError(exc.error_dict["tasks"]).messages
    rest = {key: value for key, value in exc.error_dict.items() if key != "tasks"}
    return (ValidationError(rest) if rest else None), tasks


def summary(form, formset, task_errors) -> list[tuple]:
    """Every error of the page for the error summary: (anchor, label, message)."""
    errors = error_summary(form)["errors"]
    errors += [("tasks", _("Uppgifter"), error) for error in task_errors]
    errors += [("tasks", _("Uppgifter"), error) for error in formset.non_form_errors()]
    for number, row in enumerate(formset.forms, start=1):
        row_label = _("Uppgift %(number)s") % {"number": number}
        for anchor, label, error in error_summary(row)["errors"]:
            label = f"{row_label}, {label}" if label else row_label
            errors.append((anchor or "tasks", label, error))
    return errors
