"""Read queries for cases; every one starts from the access policy's visible set or from the
case and decision the gate handed over."""

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from insats.access import policy
from insats.access.policy import Action, Decision
from insats.consent.selectors import case_consents
from insats.decisions import enrolment
from insats.decisions.selectors import SectionStatus, case_sections
from insats.meetings.models import Meeting
from insats.organisations.models import InformationCategory
from insats.people.models import Person
from insats.people.personnummer import InvalidIdentityNumber, parse

from .lifecycle import State
from .models import Case
from .services import age_warning

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


def existing_person(user, case: Case, text: str) -> Person | None:
    """The already registered person of the case's unit a typed number belongs to, if the
    user may see them."""
    try:
        digits = parse(text).digits
    except InvalidIdentityNumber:
        return None
    people = policy.people_visible_to(user).filter(unit=case.unit, identity_number=digits)
    return people.first()


# --- The case page --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One line of the case's facts: a label, its value, and a link when there is one."""

    label: str
    value: str
    url: str = ""
    multiline: bool = False
    action: tuple[str, str] | None = None  # (label, url) of an action beside the value


@dataclass
class CasePage:
    """The case page's data, already cut to the decision: the template shows what is here and
    nothing else. A part that is None is not the user's to see.

    Full access (the unit's social-services staff) gets every fact, the timeline, consents,
    disclosures, enrolment conditions and warnings. A partner gets the facts its consent's
    categories cover (criminality facts only under "criminality"), the sections it may open,
    the group and its meetings, and the categories that explain why it sees the case.
    """

    facts: list[Fact]
    members: QuerySet
    sections: list[SectionStatus]
    section_status: bool  # each section carries the staff's one-line status
    meetings: list[Meeting]
    categories: list[InformationCategory] | None = None  # a partner's consent categories
    warnings: list[str] = field(default_factory=list)
    history: QuerySet | None = None
    consents: QuerySet | None = None
    disclosures: QuerySet | None = None
    conditions: list | None = None


def _facts(user, case: Case, decision: Decision) -> list[Fact]:
    facts = [
        Fact(_("Ärendenummer"), case.number),
        Fact(_("Enhet"), str(case.unit)),
    ]
    may_identify = policy.decide_case(user, Action.IDENTIFY_CASE, case)
    if case.person is not None:
        person = case.person
        opens = decision.full and policy.decide_person(user, Action.VIEW_PERSON, person)
        facts.append(
            Fact(
                _("Person"),
                f"{person.full_name}, {person.formatted_number or _('nummer saknas')}",
                url=reverse("person_detail", args=[person.pk]) if opens else "",
            )
        )
    else:
        action = (_("Identifiera"), reverse("case_identify", args=[case.pk]))
        facts.append(
            Fact(_("Person"), _("Inte identifierad"), action=action if may_identify else None)
        )
    facts.append(Fact(_("Ålder vid aktualisering"), str(case.age_at_intake)))
    source = case.get_source_display()
    if decision.full and case.source_detail:
        source = f"{source} ({case.source_detail})"
    facts.append(Fact(_("Aktualiserad av"), source))
    if decision.covers("criminality"):
        if case.age_at_first_offence is not None:
            facts.append(Fact(_("Ålder vid första brottet"), str(case.age_at_first_offence)))
        if case.intake_basis:
            facts.append(Fact(_("Underlag"), case.intake_basis, multiline=True))
    if case.discharge_reason is not None:
        facts.append(Fact(_("Skäl för utskrivning"), str(case.discharge_reason)))
    return facts


def case_page(user, case: Case, decision: Decision) -> CasePage:
    """Everything the case page shows, cut to the gate's decision (see CasePage)."""
    page = CasePage(
        facts=_facts(user, case, decision),
        members=case.members.filter(removed_at__isnull=True).select_related("user", "organisation"),
        sections=case_sections(case, decision),
        section_status=decision.full,
        meetings=list(Meeting.objects.filter(case=case).order_by("-starts_at")[:5]),
    )
    if not decision.full:
        page.categories = list(
            InformationCategory.objects.filter(unit=case.unit, code__in=decision.categories)
        )
        return page
    warning = age_warning(case.unit, case.age_at_intake)
    if warning:
        page.warnings.append(warning)
    if case.one_person_holds_every_role:
        page.warnings.append(
            _(
                "Samma person har tagit emot, utreder och är lots i ärendet. Överväg att "
                "fördela uppgifterna på fler personer."
            )
        )
    page.history = case.transitions.select_related("by", "discharge_reason")
    page.consents = case_consents(case)
    page.disclosures = case.disclosures.select_related(
        "to_organisation", "legal_basis", "disclosed_by"
    )
    if case.state in (State.INVESTIGATION, State.DECISION):
        page.conditions = enrolment.conditions_for([case], user)[case.pk]
    return page
