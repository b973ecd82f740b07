"""Gates for a case, a section of a case, and a person."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Literal

from django.http import Http404

from insats.cases.models import Case
from insats.people.models import Person

from .. import log
from ..policy import DENY, Action, Decision, Section, decide_case, decide_person, decide_section
from .core import Child, gated, int_or_404, record_fetch

CASE_RELATED = (
    "unit",
    "person",
    "coordinator",
    "investigator",
    "decision_maker",
    "received_by",
    "discharge_reason",
)


def _case(pk) -> Case | None:
    return Case.objects.select_related(*CASE_RELATED).filter(pk=int_or_404(pk)).first()


def _fetch(user, pk, decide, *, object_type: str, log_as: str, detail: str):
    """The case if `decide(case)` allows it (logged with its grounds), else 404.

    Refused attempts on a case that exists are logged too: they are what a log review seeks.
    """
    case = _case(pk)
    if case is None:
        raise Http404
    decision = decide(case)
    record_fetch(
        user,
        decision,
        object_type=object_type,
        object_id=case.pk,
        case=case,
        log_as=log_as,
        detail=detail,
    )
    if not decision:
        raise Http404
    return case, decision


def fetch_case(
    user,
    pk,
    action: Action = Action.VIEW_CASE,
    *,
    log_as: str = log.Action.VIEW,
    object_type: str = "case",
) -> tuple[Case, Decision]:
    """The case if the user may do `action` on it, logged; else 404."""
    return _fetch(
        user,
        pk,
        lambda case: decide_case(user, action, case),
        object_type=object_type,
        log_as=log_as,
        detail=str(action),
    )


def fetch_section(
    user, pk, section: Section, *, write: bool = False, log_as: str = log.Action.VIEW
) -> tuple[Case, Decision]:
    """The case if the user may read (or write) this section of it, logged; else 404."""
    return _fetch(
        user,
        pk,
        lambda case: decide_section(user, case, section, write=write),
        object_type=str(section),
        log_as=log_as,
        detail="write" if write else "read",
    )


def fetch_person(
    user, pk, action: Action = Action.VIEW_PERSON, *, log_as: str = log.Action.VIEW
) -> tuple[Person, Decision]:
    """The person if the user may do `action` on them (logged), else 404."""
    person = Person.objects.select_related("unit").filter(pk=int_or_404(pk)).first()
    if person is None:
        raise Http404
    decision = decide_person(user, action, person)
    record_fetch(
        user,
        decision,
        object_type="person",
        object_id=person.pk,
        person=person,
        log_as=log_as,
        detail=str(action),
    )
    if not decision:
        raise Http404
    return person, decision


def case_view(
    section: Section | None = None,
    *,
    action: Action = Action.VIEW_CASE,
    write: bool | Literal["post"] = False,
    log_as: str = log.Action.VIEW,
    object_type: str = "case",
    kwarg: str = "pk",
    child: Child | None = None,
) -> Callable:
    """A page of one case: the view is called with `case=` and `decision=` (and the child).

    With a section the policy's section rule decides (`write=True` for editing pages,
    `write="post"` for pages that show to readers and save for writers); without one,
    `action` on the case.
    """

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            pk = kwargs.pop(kwarg)
            extra = {}
            if child is not None:
                extra[child.name] = found = child.fetch(kwargs.pop(child.kwarg), int_or_404(pk))
            writing = request.method == "POST" if write == "post" else bool(write)
            if section is not None:
                case, decision = fetch_section(
                    request.user, pk, section, write=writing, log_as=log_as
                )
            else:
                case, decision = fetch_case(
                    request.user, pk, action, log_as=log_as, object_type=object_type
                )
            if child is not None and child.parent_field == "case_id":
                found.case = case
            return view(request, *args, case=case, decision=decision, **extra, **kwargs)

        return gated("case", call)

    return decorate


def person_view(
    action: Action = Action.VIEW_PERSON, *, log_as: str = log.Action.VIEW, kwarg: str = "pk"
) -> Callable:
    """A page of one person: the view is called with `person=` and `decision=`."""

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            person, decision = fetch_person(request.user, kwargs.pop(kwarg), action, log_as=log_as)
            return view(request, *args, person=person, decision=decision, **kwargs)

        return gated("person", call)

    return decorate


__all__ = ["DENY", "case_view", "fetch_case", "fetch_person", "fetch_section", "person_view"]
