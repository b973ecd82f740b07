"""Small template helpers shared by every page."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms):
    """Every error of the forms, each linked to the control it belongs to."""
    errors = []
    for form in forms:
        if form is None or not form.errors:
            continue
        errors += [(None, None, error) for error in form.non_field_errors()]
        for field in form:
            for error in field.errors:
                errors.append((_anchor(field), field.label, error))
    return {"errors": errors}


def _anchor(field) -> str:
    """The id to jump to; radio and checkbox groups have no id of their own, only options."""
    if field.id_for_label:
        return field.id_for_label
    options = field.subwidgets
    return options[0].id_for_label if options else field.auto_id


@register.filter
def member_of(value, collection) -> bool:
    """`{% if organisation.pk|member_of:covered_ids %}` — plain set membership."""
    return value in collection
