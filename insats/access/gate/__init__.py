"""The one path to personal data: views receive their object from here (see core.py)."""

from .cases import case_view, fetch_case, fetch_person, fetch_section, person_view
from .core import Child, gated, int_or_404, record_fetch

__all__ = [
    "Child",
    "case_view",
    "fetch_case",
    "fetch_person",
    "fetch_section",
    "gated",
    "int_or_404",
    "person_view",
    "record_fetch",
]
