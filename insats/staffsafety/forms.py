"""Forms for the safety talk (facts plus one row per checklist item), sharing it, and the
competence checklist (one row per requirement).

Each row carries its object's id in a hidden field, so that a list changed while the user
typed is noticed rather than mixed up (as in the practical-matters checklist).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.core.forms import FixedRowsFormSet
from insats.core.templatetags.insats import error_summary

from . import selectors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_INVALID = _("Ange ett giltigt datum, t.ex. 2025-03-14.")
LIST_CHANGED = _("Listan har ändrats medan du skrev. Kontrollera uppgifterna och spara igen.")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class TalkForm(forms.Form):
    employee = PersonChoiceField(
        label=_("Medarbetare"),
        queryset=None,
        empty_label=_("Välj medarbetare"),
        error_messages={
            "required": _("Välj den medarbetare samtalet hölls med."),
            "invalid_choice": _("Välj en lots eller utredare i enheten."),
        },
    )
    held_on = forms.DateField(
        label=_("Datum för samtalet"),
        widget=DATE,
        error_messages={"required": _("Ange datum för samtalet."), "invalid": DATE_INVALID},
    )
    manager = PersonChoiceField(
        label=_("Arbetsledare som höll samtalet"),
        queryset=None,
        empty_label=_("Välj arbetsledare"),
        error_messages={
            "required": _("Välj den arbetsledare som höll samtalet."),
            "invalid_choice": _("Välj en arbetsledare i enheten."),
        },
    )
    notes = forms.CharField(
        label=_("Anteckningar"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "T.ex. reaktiva säkerhetsåtgärder vid hot eller våld, överenskomna åtgärder och "
            "vem som ansvarar för dem."
        ),
    )

    def __init__(self, *args, unit, by, **kwargs):
        super().__init__(*args, **kwargs)
        # A supervisor never documents their own talk, so they are not offered as employee.
        self.fields["employee"].queryset = selectors.operative_staff(unit.pk).exclude(pk=by.pk)
        self.fields["manager"].queryset = selectors.supervisors(unit.pk)

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise ValidationError(_("Datumet kan inte ligga i framtiden."))
        return held_on

    def clean(self):
        data = super().clean()
        employee, manager = data.get("employee"), data.get("manager")
        if employee and manager and employee.pk == manager.pk:
            self.add_error(
                "manager", _("Samtalet hålls av en annan arbetsledare än medarbetaren själv.")
            )
        return data


class ItemForm(forms.Form):
    """One checklist item of the talk: `row` is a SafetyChecklistItem (new talk) or a
    SafetyTalkItem (changing an unsigned talk)."""

    row_id = forms.IntegerField(
        label=_("Punkt"),
        widget=forms.HiddenInput,
        error_messages={"required": LIST_CHANGED, "invalid": LIST_CHANGED},
    )
    gone_through = forms.BooleanField(label=_("Genomgången"), required=False)
    comment = forms.CharField(label=_("Kommentar"), required=False, max_length=500)

    def __init__(self, *args, row, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = row
        self.checklist = row.checklist
        self.initial.setdefault("row_id", row.pk)

    def clean_row_id(self):
        if self.cleaned_data["row_id"] != self.item.pk:
            raise ValidationError(LIST_CHANGED)
        return self.item.pk


class BaseItemFormSet(FixedRowsFormSet):
    row_kwarg = "row"


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=0)


def item_formset(data=None, *, rows, initial=None):
    return ItemFormSet(data, prefix="punkter", rows=rows, initial=initial)


def talk_item_initial(talk_items) -> list[dict]:
    return [
        {"row_id": item.pk, "gone_through": item.gone_through, "comment": item.comment}
        for item in talk_items
    ]


def new_item_rows(formset) -> list[dict]:
    return [
        {
            "item": form.item,
            "gone_through": form.cleaned_data.get("gone_through", False),
            "comment": form.cleaned_data.get("comment", ""),
        }
        for form in formset.forms
    ]


def talk_item_rows(formset) -> list[dict]:
    return [
        {
            "talk_item": form.item,
            "gone_through": form.cleaned_data.get("gone_through", False),
            "comment": form.cleaned_data.get("comment", ""),
        }
        for form in formset.forms
    ]


class ShareForm(forms.Form):
    name = forms.CharField(
        label=_("Säkerhetschef eller säkerhetsstrateg"),
        max_length=200,
        help_text=_("Namnet på den som tar emot dokumentationen."),
        error_messages={"required": _("Ange säkerhetschefens eller säkerhetsstrategens namn.")},
    )
    email = forms.EmailField(
        label=_("E-post"),
        max_length=254,
        help_text=_("Samtalet skickas som PDF till den här adressen."),
        error_messages={
            "required": _("Ange en e-postadress."),
            "invalid": _("Ange en giltig e-postadress, t.ex. namn@kommun.se."),
        },
    )


class CompetenceForm(forms.Form):
    """One requirement; `row` is the CompetenceItem."""

    row_id = forms.IntegerField(
        label=_("Krav"),
        widget=forms.HiddenInput,
        error_messages={"required": LIST_CHANGED, "invalid": LIST_CHANGED},
    )
    met_on = forms.DateField(
        label=_("Uppfyllt sedan"),
        required=False,
        widget=DATE,
        error_messages={"invalid": DATE_INVALID},
        help_text=_("Lämna tomt om kravet inte är uppfyllt."),
    )
    note = forms.CharField(
        label=_("Planerad åtgärd eller kommentar"), required=False, max_length=500
    )

    def __init__(self, *args, row, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = row
        self.initial.setdefault("row_id", row.pk)

    def clean_row_id(self):
        if self.cleaned_data["row_id"] != self.item.pk:
            raise ValidationError(LIST_CHANGED)
        return self.item.pk

    def clean_met_on(self):
        met_on = self.cleaned_data.get("met_on")
        if met_on is not None and met_on > timezone.localdate():
            raise ValidationError(_("Datumet kan inte ligga i framtiden."))
        return met_on


CompetenceFormSet = forms.formset_factory(CompetenceForm, formset=BaseItemFormSet, extra=0)


def competence_formset(data=None, *, rows):
    """`rows`: selectors.competence_rows()."""
    initial = [{"row_id": r.item.pk, "met_on": r.met_on, "note": r.note} for r in rows]
    return CompetenceFormSet(data, prefix="krav", rows=[r.item for r in rows], initial=initial)


def competence_rows(formset) -> list[dict]:
    return [
        {
            "item": form.item,
            "met_on": form.cleaned_data.get("met_on"),
            "note": form.cleaned_data.get("note", ""),
        }
        for form in formset.forms
    ]


def summary(form, formset, extra_errors=()) -> list[tuple]:
    """Every error for the error summary: (anchor, label, message), rows named by item."""
    errors = error_summary(form)["errors"] if form is not None else []
    errors += [(None, None, error) for error in extra_errors]
    errors += [(None, None, error) for error in formset.non_form_errors()]
    for row in formset.forms:
        for anchor, label, error in error_summary(row)["errors"]:
            label = f"{row.item}, {label}" if label else str(row.item)
            errors.append((anchor, label, error))
    return errors
