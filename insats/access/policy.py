"""The one gate: who may see which cases and people, and do what with them.

Every view, export and search asks this module; nothing else decides access. Each answer
carries its grounds (a role in a unit, a case membership, a consent), so that the access log
and the "why can I see this?" line can say *why* someone could see something.

- Social-services staff (coordinator, investigator, supervisor) see the cases of their own
  unit by role; nobody sees another unit's cases.
- A partner member sees a case only while they are a member of its group AND a consent that
  is valid today and not revoked covers their organisation — and then only the information
  categories that consent covers. Expiry and revocation end access at once because it is
  computed on every request, never stored.
- Leadership, analysts and administrators see no case content.

Users without access to an object get a 404, never a 403: a 403 would confirm that the case
exists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.cases.lifecycle import STAFF, Transition
from insats.cases.models import Case, CaseMember
from insats.consent.models import Consent
from insats.organisations.models import (
    NO_CASE_CONTENT_ROLES,
    Membership,
    Organisation,
    Role,
    Unit,
    User,
)
from insats.people.models import Person

from . import log


class Action(StrEnum):
    VIEW_CASE = "case.view"
    TRANSITION_CASE = "case.transition"
    ASSIGN_STAFF = "case.assign_staff"
    IDENTIFY_CASE = "case.identify"
    MANAGE_MEMBERS = "case.manage_members"
    MANAGE_CONSENT = "consent.manage"
    VIEW_CONSENT = "consent.view"
    RECORD_DISCLOSURE = "disclosure.record"
    VIEW_PERSON = "person.view"
    VIEW_PERSON_CONTACT = "person.view_contact"
    CHANGE_PERSON = "person.change"
    EDIT_INVESTIGATION = "investigation.edit"
    RECORD_POLICE_ASSESSMENT = "police_assessment.record"


class Section(StrEnum):
    """The parts of a case record beyond its facts; each is read under its own rule."""

    INVENTORY = "inventory"
    LETTER = "letter"
    POLICE_ASSESSMENT = "police_assessment"
    CRIMINALITY = "criminality"
    RESOURCES = "resources"
    THREAT = "threat"
    RISK = "risk"
    DECISIONS = "decisions"
    FOLLOW_UP = "follow_up"
    PLAN = "plan"
    PRACTICAL = "practical"
    ECONOMY = "economy"
    FAILURE_REVIEW = "failure_review"


# The consent category a partner member needs to read a section. Sections not named here are
# for the unit's social-services staff only. The inventory is open to partners row by row: a
# life area shows when the consent covers that area's category (LifeArea.category_code); so is
# the action plan, goal by goal.
SECTION_CATEGORIES = {
    Section.POLICE_ASSESSMENT: "criminality",
    Section.CRIMINALITY: "criminality",
    Section.THREAT: "criminality",
    Section.RESOURCES: "family",
    Section.ECONOMY: "economy",
}
# Sections a partner reads row by row (by each row's life area), like the inventory.
ROW_SCOPED_SECTIONS = frozenset({Section.INVENTORY, Section.PLAN})


# What each kind of user may do on a case they can see.
STAFF_ACTIONS = frozenset(
    {
        Action.VIEW_CASE,
        Action.TRANSITION_CASE,
        Action.IDENTIFY_CASE,
        Action.MANAGE_CONSENT,
        Action.VIEW_CONSENT,
        Action.RECORD_DISCLOSURE,
        Action.EDIT_INVESTIGATION,
    }
)
PARTNER_ACTIONS = frozenset({Action.VIEW_CASE})
# What a closed case no longer allows, for anyone: it is read-only until reopened.
CHANGES_CASE = frozenset(
    {
        Action.ASSIGN_STAFF,
        Action.IDENTIFY_CASE,
        Action.MANAGE_MEMBERS,
        Action.MANAGE_CONSENT,
        Action.RECORD_DISCLOSURE,
        Action.EDIT_INVESTIGATION,
    }
)


@dataclass(frozen=True)
class Ground:
    """Why access was given: a role in a unit, a case membership, a consent."""

    kind: str
    ref: str
    label: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class Decision:
    """The answer to one access question, with its grounds.

    `full` is the case's own social-services staff: every section and category. Otherwise
    access is scoped to `categories` (the codes the covering consents name), and every reader
    must cut the data to them.
    """

    allowed: bool
    grounds: tuple[Ground, ...] = ()
    reason: str = ""
    full: bool = False
    categories: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return self.allowed

    def covers(self, category: str) -> bool:
        return self.allowed and (self.full or category in self.categories)

    @property
    def logged_categories(self) -> str:
        """The categories as written to the access log: empty for full access."""
        return "" if self.full else ",".join(sorted(self.categories))


def full_access(grounds: tuple[Ground, ...]) -> Decision:
    return Decision(True, grounds, full=True)


DENY = Decision(False)


@dataclass
class Roles:
    """A user's active roles per unit, read once per request (one query)."""

    by_unit: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    deciding_units: set[int] = field(default_factory=set)
    # Organisations in which the user holds a role that may see case content: a group
    # membership only counts while the user still works for that organisation.
    member_organisations: set[int] = field(default_factory=set)
    unit_names: dict[int, str] = field(default_factory=dict)

    def in_unit(self, unit_id: int) -> set[str]:
        return self.by_unit.get(unit_id, set())

    def units_with(self, roles) -> set[int]:
        return {unit for unit, held in self.by_unit.items() if held & set(roles)}


def roles_of(user) -> Roles:
    """The user's roles, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Roles()
    cached = getattr(user, "_insats_roles", None)
    if cached is not None:
        return cached
    roles = Roles()
    memberships = Membership.objects.filter(user=user, active=True).values_list(
        "organisation_id", "organisation__unit_id", "organisation__unit__name", "role", "may_decide"
    )
    for organisation_id, unit_id, unit_name, role, may_decide in memberships:
        roles.by_unit[unit_id].add(role)
        if role not in NO_CASE_CONTENT_ROLES:
            roles.member_organisations.add(organisation_id)
        roles.unit_names[unit_id] = unit_name
        if may_decide and role == Role.SUPERVISOR:
            roles.deciding_units.add(unit_id)
    user._insats_roles = roles
    return roles


def forget_roles(user) -> None:
    """Drop the cached roles (after memberships change within one request or test)."""
    user.__dict__.pop("_insats_roles", None)


def _staff_grounds(user, unit_id: int) -> tuple[Ground, ...]:
    roles = roles_of(user)
    held = roles.in_unit(unit_id) & STAFF
    return tuple(
        Ground(
            "role",
            f"{role}@unit:{unit_id}",
            _("%(role)s i %(unit)s")
            % {"role": Role(role).label, "unit": roles.unit_names.get(unit_id, unit_id)},
        )
        for role in sorted(held)
    )


# --- Querysets: which objects may this user see at all --------------------------------------


def staff_units(user) -> set[int]:
    return roles_of(user).units_with(STAFF)


def units_visible_to(user) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=staff_units(user))


def _covering_consents(day: date):
    """Active consents of the outer member's case that cover the member's organisation."""
    return Consent.objects.active_on(day).filter(
        case=OuterRef("case"), organisations=OuterRef("organisation")
    )


def _partner_case_ids(user, day: date):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return CaseMember.objects.none().values("case")
    return (
        CaseMember.objects.filter(
            user=user,
            removed_at__isnull=True,
            organisation_id__in=roles_of(user).member_organisations,
        )
        .filter(Exists(_covering_consents(day)))
        .values("case")
    )


def visible_cases_q(user, day: date | None = None) -> Q:
    """The filter behind every list, search, count and export of cases."""
    day = day or timezone.localdate()
    return Q(unit_id__in=staff_units(user)) | Q(pk__in=_partner_case_ids(user, day))


def cases_visible_to(user, day: date | None = None) -> QuerySet[Case]:
    """Every case the user may see in a list, a search or a count."""
    return Case.objects.filter(visible_cases_q(user, day))


def people_visible_to(user) -> QuerySet[Person]:
    """Person pages are for the unit's social-services staff only."""
    return Person.objects.filter(unit_id__in=staff_units(user))


# --- Decisions on one object ----------------------------------------------------------------


def _partner_decision(user, case: Case, day: date) -> Decision:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return DENY
    members = list(
        CaseMember.objects.filter(
            case=case,
            user=user,
            removed_at__isnull=True,
            organisation_id__in=roles_of(user).member_organisations,
        ).select_related("organisation")
    )
    if not members:
        return DENY
    org_ids = {m.organisation_id for m in members}
    consents = list(
        Consent.objects.active_on(day)
        .filter(case=case, organisations__in=org_ids)
        .distinct()
        .prefetch_related("categories")
    )
    if not consents:
        return DENY
    grounds = tuple(
        Ground(
            "membership",
            f"member:{m.pk}",
            _("medlem i gruppen för %(org)s")
            % {
                "org": m.organisation,
            },
        )
        for m in members
    ) + tuple(
        Ground(
            "consent",
            f"consent:{c.pk}",
            _("samtycke giltigt t.o.m. %(until)s")
            % {
                "until": c.valid_until,
            },
        )
        for c in consents
    )
    categories = frozenset(cat.code for c in consents for cat in c.categories.all())
    return Decision(True, grounds, categories=categories)


def decide_case(user, action: Action, case: Case, day: date | None = None) -> Decision:
    """May the user do this action on this case, and on what grounds?"""
    day = day or timezone.localdate()
    grounds = _staff_grounds(user, case.unit_id)
    if grounds and case.is_closed and action in CHANGES_CASE:
        return Decision(False, reason=_("Ärendet är avslutat och kan inte ändras."))
    if grounds:
        if action in STAFF_ACTIONS:
            return full_access(grounds)
        if action == Action.ASSIGN_STAFF:
            if Role.SUPERVISOR in roles_of(user).in_unit(case.unit_id):
                return full_access(grounds)
            return Decision(False, reason=_("Endast arbetsledare kan fördela ärenden."))
        if action == Action.MANAGE_MEMBERS:
            if case.coordinator_id == user.pk or Role.SUPERVISOR in roles_of(user).in_unit(
                case.unit_id
            ):
                return full_access(grounds)
            return Decision(
                False, reason=_("Endast ärendets lots eller en arbetsledare ändrar gruppen.")
            )
        return DENY
    if action in PARTNER_ACTIONS:
        return _partner_decision(user, case, day)
    return DENY


def may_read_section(decision: Decision, section: Section) -> bool:
    """Given the decision to see the case, may the user read this section of it?"""
    if not decision:
        return False
    if decision.full:
        return True
    if section in ROW_SCOPED_SECTIONS:
        return bool(decision.categories)
    category = SECTION_CATEGORIES.get(section)
    return category is not None and decision.covers(category)


def decide_section(user, case: Case, section: Section, *, write: bool = False) -> Decision:
    """May the user read (or write) this section of the case?

    Writing needs an open case. Social-services staff write every section except the police
    suitability assessment, which only a police member of the case's group records.
    """
    decision = decide_case(user, Action.VIEW_CASE, case)
    if not may_read_section(decision, section):
        return DENY
    if not write:
        return decision
    if case.is_closed:
        return Decision(False, reason=_("Ärendet är avslutat och kan inte ändras."))
    if section == Section.POLICE_ASSESSMENT:
        if decision.full or not _is_police_member(user, case):
            return Decision(
                False, reason=_("Endast polisen i ärendets grupp registrerar bedömningen.")
            )
        return decision
    return decide_case(user, Action.EDIT_INVESTIGATION, case)


def require_section(user, case: Case, section: Section) -> Decision:
    """For write use cases: the decision to write the section, or PermissionDenied (with the
    reason) when the policy refuses."""
    decision = decide_section(user, case, section, write=True)
    if not decision:
        raise PermissionDenied(decision.reason)
    return decision


def _is_police_member(user, case: Case) -> bool:
    return CaseMember.objects.filter(
        case=case,
        user=user,
        removed_at__isnull=True,
        organisation__kind=Organisation.Kind.POLICE,
        organisation_id__in=roles_of(user).member_organisations,
    ).exists()


def police_organisation_of(user, case: Case) -> Organisation | None:
    """The police organisation the user sits in the case's group for, if any."""
    member = (
        CaseMember.objects.filter(
            case=case,
            user=user,
            removed_at__isnull=True,
            organisation__kind=Organisation.Kind.POLICE,
        )
        .select_related("organisation")
        .first()
    )
    return member.organisation if member else None


def decide_measure_report(user, measure) -> Decision:
    """May the user report progress on this action-plan measure?

    The case's social-services staff may; so may the member responsible for the measure,
    while they can see the measure's life area under the consent. Closed cases take no reports.
    """
    case = measure.plan.case
    if case.is_closed:
        return Decision(False, reason=_("Ärendet är avslutat och kan inte ändras."))
    decision = decide_case(user, Action.VIEW_CASE, case)
    if not decision:
        return DENY
    if decision.full:
        return decide_case(user, Action.EDIT_INVESTIGATION, case)
    member = measure.responsible_member
    responsible = member is not None and member.user_id == user.pk and member.removed_at is None
    if responsible and decision.covers(measure.goal.life_area.category_code):
        return decision
    return Decision(False, reason=_("Du rapporterar bara på dina egna åtgärder."))


def partner_categories(user, case_ids, day: date | None = None) -> dict[int, set[str]]:
    """Per case: the categories the user's covering consents name (for partner lists)."""
    day = day or timezone.localdate()
    organisations = CaseMember.objects.filter(
        user=user,
        case_id__in=case_ids,
        removed_at__isnull=True,
        organisation_id__in=roles_of(user).member_organisations,
    ).values_list("case_id", "organisation_id")
    by_case: dict[int, set[int]] = defaultdict(set)
    for case_id, organisation_id in organisations:
        by_case[case_id].add(organisation_id)
    result: dict[int, set[str]] = defaultdict(set)
    rows = (
        Consent.objects.active_on(day)
        .filter(case_id__in=list(by_case))
        .values_list("case_id", "organisations", "categories__code")
    )
    for case_id, organisation_id, code in rows:
        if organisation_id in by_case[case_id] and code:
            result[case_id].add(code)
    return dict(result)


def unit_staff(unit_id: int, roles=STAFF):
    """The unit's active users holding one of `roles` (by default its social-services staff:
    coordinators, investigators, supervisors)."""
    return User.objects.filter(
        memberships__organisation__unit_id=unit_id,
        memberships__role__in=roles,
        memberships__active=True,
        is_active=True,
    ).distinct()


# --- Meetings -------------------------------------------------------------------------------
# A meeting is seen by the unit's social-services staff, its invitees and the members of its
# group; a meeting about one case (individual group, network meeting) only by those who may see
# that case. Within a meeting, an agenda item about a case is read under the case's own rule
# (see visible_item_cases), so attendees never see a case they have no ground to see.


def _meeting_models():
    from insats.meetings.models import GroupMember, Invitation, Meeting

    return GroupMember, Invitation, Meeting


def meetings_visible_to(user, day: date | None = None):
    """Every meeting the user may see in a list or a calendar feed."""
    group_member, invitation, meeting = _meeting_models()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return meeting.objects.none()
    own = Q(unit_id__in=staff_units(user)) & (
        Q(case__isnull=True) | Q(case__in=cases_visible_to(user, day))
    )
    # An invitation or a group seat is a ground only while the user still works in the
    # meeting's unit: ending someone's memberships ends their meetings and feeds too.
    general = Q(case__isnull=True, unit_id__in=set(roles_of(user).by_unit)) & (
        Q(pk__in=invitation.objects.filter(user=user).values("meeting"))
        | Q(
            group__in=group_member.objects.filter(user=user, removed_at__isnull=True).values(
                "group"
            )
        )
    )
    about_case = Q(case__isnull=False, case__in=cases_visible_to(user, day))
    return meeting.objects.filter(own | general | about_case)


def decide_meeting(user, meeting) -> Decision:
    """May the user see this meeting (and its general part)?"""
    if meeting.case_id is not None:
        return decide_case(user, Action.VIEW_CASE, meeting.case)
    grounds = _staff_grounds(user, meeting.unit_id)
    if grounds:
        return full_access(grounds)
    if not meetings_visible_to(user).filter(pk=meeting.pk).exists():
        return DENY
    return Decision(
        True, (Ground("meeting", f"meeting:{meeting.pk}", _("inbjuden eller medlem i gruppen")),)
    )


def may_manage_meeting(user, meeting) -> Decision:
    """Planning, agenda and minutes are kept by the unit's social-services staff."""
    grounds = _staff_grounds(user, meeting.unit_id)
    if not grounds:
        return Decision(False, reason=_("Endast socialtjänsten planerar mötet och för protokoll."))
    if meeting.case_id is not None and meeting.case.is_closed:
        return Decision(False, reason=_("Ärendet är avslutat och kan inte ändras."))
    return full_access(grounds)


def visible_item_cases(user, case_ids) -> set[int]:
    """Of the cases on an agenda, those the user may see (one query)."""
    return set(cases_visible_to(user).filter(pk__in=list(case_ids)).values_list("pk", flat=True))


def decide_transition(user, case: Case, transition: Transition) -> Decision:
    """May the user make this move on this case? The reason says why not, in Swedish."""
    if not decide_case(user, Action.TRANSITION_CASE, case):
        return DENY
    held = roles_of(user).in_unit(case.unit_id)
    if not held & transition.roles:
        return Decision(False, reason=_("Din roll får inte göra detta steg."))
    if transition.is_decision:
        if case.unit_id not in roles_of(user).deciding_units:
            return Decision(False, reason=_("Du har inte delegation att besluta."))
        if user.pk in (case.investigator_id, case.coordinator_id):
            return Decision(
                False,
                reason=_(
                    "Den som beslutar får inte vara ärendets utredare eller lots "
                    "(åtskillnad av uppgifter)."
                ),
            )
    return full_access(_staff_grounds(user, case.unit_id))


def decide_person(user, action: Action, person: Person) -> Decision:
    grounds = _staff_grounds(user, person.unit_id)
    if not grounds:
        return DENY
    if action in (Action.VIEW_PERSON, Action.CHANGE_PERSON):
        return full_access(grounds)
    if action == Action.VIEW_PERSON_CONTACT:
        # Protected identity: only the case's own social-services staff and supervisors.
        if not person.protected_identity:
            return full_access(grounds)
        if Role.SUPERVISOR in roles_of(user).in_unit(person.unit_id):
            return full_access(grounds)
        own_case = person.cases.filter(
            Q(coordinator=user) | Q(investigator=user) | Q(decision_maker=user)
        ).exists()
        return full_access(grounds) if own_case else DENY
    return DENY


def require_staff(user, unit_id: int) -> None:
    """For unit-level write use cases: PermissionDenied unless the user is the unit's staff."""
    if unit_id not in staff_units(user):
        raise PermissionDenied(_("Du arbetar inte i enhetens socialtjänst."))


def may_create_case(user, unit: Unit) -> Decision:
    grounds = _staff_grounds(user, unit.pk)
    return full_access(grounds) if grounds else DENY


def may_review_log(user, unit_id: int) -> bool:
    return Role.SUPERVISOR in roles_of(user).in_unit(unit_id)


def review_units(user) -> set[int]:
    return roles_of(user).units_with({Role.SUPERVISOR})


# Who reads the de-identified follow-up. Statistics never name a case or a person, so no case
# ground is needed; the figures are still logged per unit like any other read.
STATISTICS_ROLES = frozenset({Role.SUPERVISOR, Role.LEADERSHIP, Role.ANALYST})


def statistics_units(user) -> set[int]:
    """Units whose de-identified statistics the user may read."""
    return roles_of(user).units_with(STATISTICS_ROLES)


def export_units(user) -> set[int]:
    """Units whose de-identified follow-up data set the user may export: the central analyst."""
    return roles_of(user).units_with({Role.ANALYST})


def is_administrator(user) -> bool:
    return bool(roles_of(user).units_with({Role.ADMINISTRATOR})) or user.is_superuser


# --- Fetching one object for a view; every fetch is logged ----------------------------------


CASE_RELATED = (
    "unit",
    "person",
    "coordinator",
    "investigator",
    "decision_maker",
    "received_by",
    "discharge_reason",
)


def get_case_or_404(
    user,
    pk,
    action: Action = Action.VIEW_CASE,
    *,
    log_as: str = log.Action.VIEW,
    object_type: str = "case",
) -> tuple[Case, Decision]:
    """The case if the user may do `action` on it (logged with its grounds), else 404.

    Denied attempts on a case that exists are logged too: they are what a log review looks for.
    """
    case = Case.objects.select_related(*CASE_RELATED).filter(pk=_int_or_404(pk)).first()
    decision = decide_case(user, action, case) if case is not None else DENY
    if case is None or not decision:
        if case is not None:
            log.record(
                user=user,
                action=log.Action.DENIED,
                object_type=object_type,
                case=case,
                object_id=case.pk,
                detail=str(action),
            )
        raise Http404
    log.record(
        user=user,
        action=log_as,
        object_type=object_type,
        case=case,
        object_id=case.pk,
        grounds=decision.grounds,
        category=decision.logged_categories,
    )
    return case, decision


def get_section_or_404(
    user,
    pk,
    section: Section,
    *,
    write: bool = False,
    log_as: str = log.Action.VIEW,
) -> tuple[Case, Decision]:
    """The case if the user may read (or write) this section of it, logged; else 404."""
    case = Case.objects.select_related(*CASE_RELATED).filter(pk=_int_or_404(pk)).first()
    if case is None:
        raise Http404
    decision = decide_section(user, case, section, write=write)
    if not decision:
        log.record(
            user=user,
            action=log.Action.DENIED,
            object_type=str(section),
            case=case,
            object_id=case.pk,
            detail="write" if write else "read",
        )
        raise Http404
    log.record(
        user=user,
        action=log_as,
        object_type=str(section),
        case=case,
        object_id=case.pk,
        grounds=decision.grounds,
        category=decision.logged_categories,
    )
    return case, decision


def get_person_or_404(
    user, pk, action: Action = Action.VIEW_PERSON, *, log_as: str = log.Action.VIEW
) -> tuple[Person, Decision]:
    person = Person.objects.select_related("unit").filter(pk=_int_or_404(pk)).first()
    decision = decide_person(user, action, person) if person is not None else DENY
    if person is None or not decision:
        if person is not None:
            log.record(
                user=user,
                action=log.Action.DENIED,
                object_type="person",
                person=person,
                object_id=person.pk,
                detail=str(action),
            )
        raise Http404
    log.record(
        user=user,
        action=log_as,
        object_type="person",
        person=person,
        object_id=person.pk,
        grounds=decision.grounds,
    )
    return person, decision


def _int_or_404(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise Http404 from None


def log_listing(user, object_type: str, cases, detail: str = "") -> None:
    """Log a list or search page, naming every case shown on it.

    One entry per unit, so that each unit's log review sees exactly its own cases.
    """
    by_unit: dict[int, list[int]] = defaultdict(list)
    for case in cases:
        by_unit[case.unit_id].append(case.pk)
    if not by_unit:
        # A search without hits is a read too (whom was someone looking for?): logged for
        # each unit the user works in, or once without a unit.
        units = staff_units(user)
        detail = f"{detail} cases=".strip()
        if units:
            log.record_units(
                user=user,
                action=log.Action.SEARCH,
                object_type=object_type,
                unit_ids=units,
                detail=detail,
            )
        else:
            log.record(user=user, action=log.Action.SEARCH, object_type=object_type, detail=detail)
        return
    for unit_id, ids in sorted(by_unit.items()):
        log.record(
            user=user,
            action=log.Action.SEARCH,
            object_type=object_type,
            unit_id=unit_id,
            detail=f"{detail} cases={','.join(map(str, ids))}".strip(),
        )
