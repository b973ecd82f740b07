"""Read queries for cases; every one starts from the access policy's visible set."""

import re

from django.db.models import Count, Q, QuerySet

from insats.access import policy

from .models import Case

_CASE_NUMBER = re.compile(r"^(?:(?P<prefix>[A-Za-z]+)-)?(?P<year>\d{4})-(?P<seq>\d{1,6})$")


def search_q(text: str) -> Q:
    """Match alias, case number, the person's name or identity number.

    Only ever applied to the policy's visible set, and the policy shows the person of every
    case it lets a user see (a partner sees a case only under a consent about that person), so
    a search cannot reveal who an alias is. Should the policy ever show a case without its
    person, this is the place to narrow the name and number terms.
    """
    text = text.strip()
    folded = text.casefold()
    q = Q(alias__casefold__contains=folded)
    number = _CASE_NUMBER.match(text)
    if number:
        by_number = Q(year=int(number["year"]), sequence=int(number["seq"]))
        if number["prefix"]:
            by_number &= Q(unit__case_prefix__iexact=number["prefix"])
        q |= by_number
    digits = re.sub(r"[-+\s]", "", text)
    if digits.isdigit() and len(digits) in (10, 12):
        identity = Q(person__identity_number__endswith=digits)
    elif not any(ch.isdigit() for ch in text):
        identity = Q()
        for term in folded.split():
            identity &= Q(person__first_name__casefold__contains=term) | Q(
                person__last_name__casefold__contains=term
            )
    else:
        return q
    return q | (identity & Q(person__isnull=False))


def case_list(
    user, *, q: str = "", state: str = "", coordinator=None, sort: tuple[str, ...] = ()
) -> QuerySet[Case]:
    cases = policy.cases_visible_to(user).select_related("person", "coordinator", "unit")
    if q:
        cases = cases.filter(search_q(q))
    if state:
        cases = cases.filter(state=state)
    if coordinator is not None:
        cases = cases.filter(coordinator=coordinator)
    return cases.order_by(*(sort or ("-year", "-sequence")))


def state_counts(user) -> dict[str, int]:
    rows = policy.cases_visible_to(user).values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}
