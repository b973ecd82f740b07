"""Small template helpers shared by every page."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms):
    return {"forms_with_errors": [f for f in forms if f is not None and f.errors]}


@register.filter
def member_of(value, collection) -> bool:
    """`{% if organisation.pk|member_of:covered_ids %}` — plain set membership."""
    return value in collection
