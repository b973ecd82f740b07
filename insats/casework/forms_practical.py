"""The practical-matters checklist: one row per active item of the unit's list.

A hidden field carries each row's item, so that a list changed while the user typed is
noticed rather than mixed up (as in the inventory's rating rows).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.core.forms import FixedRowsFormSet
from insats.core.templatetags.insats import error_summary

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MatterForm(forms.Form):
    """One checklist item; `item` is the PracticalMatter the row belongs to."""

    matter = forms.IntegerField(widget=forms.HiddenInput)
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    done = forms.BooleanField(label=_("Löst"), required=False)
    done_on = forms.DateField(
        label=_("Datum då frågan löstes"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("Ange ett giltigt datum, t.ex. 2025-03-14.")},
    )
    note = forms.CharField(label=_("Anteckning"), required=False, max_length=300)

    def __init__(self, *args, matter, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = matter
        self.initial.setdefault("matter", matter.pk)
        self.fields["done_on"].condition = _("krävs när frågan är löst")

    def clean_matter(self):
        if self.cleaned_data["matter"] != self.item.pk:
            raise ValidationError(
                _(
                    "Enhetens lista över praktiska frågor har ändrats medan du skrev. "
                    "Kontrollera uppgifterna och spara igen."
                )
            )
        return self.item

    def clean(self):
        data = super().clean()
        done, done_on = data.get("done"), data.get("done_on")
        if "done_on" in self.errors:
            return data
        if done and done_on is None:
            self.add_error("done_on", _("Ange datum då frågan löstes."))
        elif done_on is not None and not done:
            self.add_error("done", _("Kryssa i att frågan är löst, eller ta bort datumet."))
        elif done_on is not None and done_on > timezone.localdate():
            self.add_error("done_on", _("Datumet kan inte ligga i framtiden."))
        return data

    def row(self) -> dict:
        data = self.cleaned_data
        return {
            "matter": self.item,
            "done_on": data.get("done_on") if data.get("done") else None,
            "note": data.get("note", ""),
            "seen": data.get("seen", ""),
        }


class BaseChecklistFormSet(FixedRowsFormSet):
    """Exactly one row per item, in the list's order, whatever the browser sends."""

    row_kwarg = "matter"

    def __init__(self, *args, matters, **kwargs):
        self.matters = list(matters)
        super().__init__(*args, rows=self.matters, **kwargs)

    def rows(self) -> list[dict]:
        return [form.row() for form in self.forms]


ChecklistFormSet = forms.formset_factory(MatterForm, formset=BaseChecklistFormSet, extra=0)


def checklist_formset(data=None, *, rows):
    """The formset for the checklist rows of services_practical.checklist()."""
    initial = [
        {
            "matter": r.matter.pk,
            "seen": r.stamp,
            "done": r.is_done,
            "done_on": r.done_on,
            "note": r.note,
        }
        for r in rows
    ]
    return ChecklistFormSet(
        data, initial=initial, prefix="fragor", matters=[r.matter for r in rows]
    )


def with_current_stamps(data, *, rows):
    """The submitted data with each row's stamp set to what is saved now: after a conflict the
    user's text stays, and saving again (after comparing) is no longer a conflict."""
    data = data.copy()
    for index, row in enumerate(rows):
        data[f"fragor-{index}-seen"] = row.stamp
    return data


def summary(formset, extra_errors=()) -> list[tuple]:
    """Every error of the checklist for the error summary: (anchor, label, message)."""
    errors = [(None, None, error) for error in extra_errors]
    errors += [(None, None, error) for error in formset.non_form_errors()]
    for form in formset.forms:
        for anchor, label, error in error_summary(form)["errors"]:
            label = f"{form.item}, {label}" if label else str(form.item)
            errors.append((anchor, label, error))
    return errors
