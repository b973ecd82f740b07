"""Form rendering in the accessible public-sector pattern: label, hint, error, then input."""

from functools import cached_property

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.formsets import (
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext as _


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form so the user sees it next to the field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class FixedRowsFormSet(forms.BaseFormSet):
    """Exactly one row per object (life area, checklist item, goal), in the objects' order,
    whatever the browser sends: a row can never land on the wrong object.

    Subclasses name the keyword their form takes its object by in `row_kwarg`.
    """

    row_kwarg = "row"

    def __init__(self, *args, rows, **kwargs):
        self.row_objects = list(rows)
        super().__init__(*args, **kwargs)

    def total_form_count(self):
        return len(self.row_objects)

    def initial_form_count(self):
        return len(self.row_objects)

    @cached_property
    def management_form(self):
        """Always the counts of the rows, not what the browser sent."""
        counts = {
            TOTAL_FORM_COUNT: len(self.row_objects),
            INITIAL_FORM_COUNT: len(self.row_objects),
            MIN_NUM_FORM_COUNT: self.min_num,
            MAX_NUM_FORM_COUNT: self.max_num,
        }
        form = ManagementForm(
            {f"{self.prefix}-{name}": count for name, count in counts.items()},
            auto_id=self.auto_id,
            prefix=self.prefix,
            renderer=self.renderer,
        )
        form.full_clean()
        return form

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), self.row_kwarg: self.row_objects[index]}


class LoginForm(AuthenticationForm):
    """Django's login form, refusing an over-long user name before anyone authenticates it (the
    lockout's table would otherwise fail on it)."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        limit = self.fields["username"].max_length
        if limit and len(username) > limit:
            raise ValidationError(
                _("Användarnamnet får vara högst %(limit)d tecken."), params={"limit": limit}
            )
        return username
