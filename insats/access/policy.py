"""The one gate: who may see which cases and people, and do what with them.

Every view, export and search asks this module; nothing else decides access. Pages receive
their object from the gate (insats/access/gate), which asks this module, logs and hands the
object over. Each answer carries its grounds (a role in a unit, a case membership, a consent),
so that the access log and the "why can I see this?" line can say *why* someone could see it.

- Social-services staff (coordinator, investigator, supervisor) see the cases of their own
  unit by role; nobody sees another unit's cases.
- A partner member sees a case only while they are a member of its group AND a consent that
  is valid today, not revoked and not ended covers their organisation — and then only the
  information categories that consent covers. Expiry, revocation and the case's closing (which
  ends its consents) end access at once because it is computed on every request, never stored.
- Every ground needs an active membership and an active account: ending someone's roles ends
  their cases, meetings, feeds and tasks alike.
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
    # Recording a revocation stays possible on a closed case: the young person may withdraw a
    # consent that discharge already ended, and that must be on file.
    REVOKE_CONSENT = "consent.revoke"
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
        Action.REVOKE_CONSENT,
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


def require_measure_report(user, measure) -> Decision:
    """For the report use case: the decision to report on the measure, or PermissionDenied
    (with the reason) when the policy refuses."""
    decision = decide_measure_report(user, measure)
    if not decision:
        raise PermissionDenied(decision.reason)
    return decision


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


def decide_unit_staff(user, unit_id: int) -> Decision:
    """A unit-level record (a returnee entry) is the unit's social-services staff's own."""
    grounds = _staff_grounds(user, unit_id)
    return full_access(grounds) if grounds else DENY


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


# --- Meetings, collaboration and staff safety (the gates in gate/meetings.py and
# gate/staffsafety.py ask these) ------------------------------------------------------------


def agenda_item_shown(item, meeting, visible_cases, staff_unit_ids) -> bool:
    """May a user see an agenda item's details (or, for item None, the meeting's own minutes)?

    `visible_cases` is the batched answer of visible_item_cases for the page's cases and
    `staff_unit_ids` the units where the user is social-services staff. A meeting about a case
    shows nothing to those who may not see the case; within any meeting a case item is read
    under the case's rule, a returnee item by the unit's staff, the general part by everyone
    at the meeting.
    """
    if meeting.case_id is not None and meeting.case_id not in visible_cases:
        return False
    if item is None:
        return True
    if item.part == "returnees":
        return meeting.unit_id in staff_unit_ids
    if item.case_id is not None:
        return item.case_id in visible_cases
    if item.part == "general":
        return True
    return meeting.unit_id in staff_unit_ids


def decide_agenda_item(user, meeting, item) -> Decision:
    """May the user read this item of the meeting's agenda (its minutes, tasks, PDF)?"""
    meeting_decision = decide_meeting(user, meeting)
    if not meeting_decision:
        return DENY
    case_ids = {meeting.case_id, item.case_id} - {None}
    visible = visible_item_cases(user, case_ids) if case_ids else set()
    if not agenda_item_shown(item, meeting, visible, staff_units(user)):
        return DENY
    if item.case_id is not None:
        return decide_case(user, Action.VIEW_CASE, item.case)
    return meeting_decision


def may_run_meeting(user, meeting) -> Decision:
    """Meeting mode (minutes and tasks item by item): the unit's staff, or the meeting's
    convener while they may see the meeting (who still writes only the items they see)."""
    decision = may_manage_meeting(user, meeting)
    if decision:
        return decision
    closed = meeting.case_id is not None and meeting.case.is_closed
    if meeting.convener_id == user.pk and not closed and decide_meeting(user, meeting):
        return Decision(
            True, (Ground("meeting", f"convener:{meeting.pk}", _("sammankallande till mötet")),)
        )
    return Decision(False, reason=decision.reason)


def decide_task_done(user, task) -> Decision:
    """May the user mark this task from a meeting's minutes done? The social-services staff of
    the meeting's unit; or its responsible, only while they may still see the meeting."""
    grounds = _staff_grounds(user, task.meeting.unit_id)
    if grounds:
        return full_access(grounds)
    if task.responsible_id != user.pk or not decide_meeting(user, task.meeting):
        return DENY
    return Decision(True, (Ground("task", f"responsible:{task.pk}", _("ansvarig för uppgiften")),))


def mailable_invitees(unit_id: int, user_ids) -> set[int]:
    """Of these invited users, those who may still be mailed about a meeting of the unit: an
    active account with an active membership in the unit. An invitation is a ground only while
    its reason lasts, so ending someone's memberships stops their invitations, changes and
    cancellations (and the calendar files in them) at once."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return set()
    return set(
        Membership.objects.filter(
            user_id__in=ids,
            user__is_active=True,
            active=True,
            organisation__unit_id=unit_id,
        ).values_list("user_id", flat=True)
    )


def decide_calendar_feed(user) -> Decision:
    """May this user's personal calendar feed answer? Only while the account is active and the
    user holds an active membership: the feed is a meeting channel like the pages."""
    if not getattr(user, "is_active", False):
        return Decision(False, reason=_("Kontot är avaktiverat."))
    if not roles_of(user).by_unit:
        return Decision(False, reason=_("Användaren har ingen aktiv roll i någon enhet."))
    return Decision(True, (Ground("calendar_feed", f"user:{user.pk}", _("egen kalenderadress")),))


def invitee_grounds(case: Case, members, day: date | None = None) -> dict[int, str]:
    """Why each of the case's group members may NOT be told about the case ("" when they may).

    The grounds to be invited to the case's own meeting and sent what it is about: a user who
    may see the case (the unit's staff, a partner member whose organisation a valid consent
    covers), or a network member without an account whom a valid consent names. Keyed by
    CaseMember pk; the text is the Swedish warning shown beside an unticked invitee.
    """
    day = day or timezone.localdate()
    members = list(members)
    named = set(
        Consent.network_members.through.objects.filter(
            consent__in=Consent.objects.active_on(day).filter(case=case),
            casemember_id__in=[m.pk for m in members],
        ).values_list("casemember_id", flat=True)
    )
    result = {}
    for member in members:
        if member.user_id is not None:
            covered = bool(decide_case(member.user, Action.VIEW_CASE, case, day))
            result[member.pk] = (
                ""
                if covered
                else _("Samtycket omfattar inte %(org)s: får inte veta vad mötet gäller.")
                % {"org": member.organisation}
            )
        elif member.pk in named:
            result[member.pk] = ""
        elif not member.has_confidentiality_duty:
            result[member.pk] = _(
                "Saknar tystnadsplikt och nämns inte i samtycket: får inte veta vad mötet gäller."
            )
        else:
            result[member.pk] = _("Nämns inte i samtycket: får inte veta vad mötet gäller.")
    return result


DEVIATION_REPORTING_ROLES = STAFF | {Role.PARTNER}


def deviation_reporting_units(user) -> set[int]:
    """Units where the user may report a collaboration deviation: staff, or a partner active in
    one of the unit's organisations."""
    return roles_of(user).units_with(DEVIATION_REPORTING_ROLES)


def deviations_visible_to(user):
    """Staff see all of their units' deviations; anyone else only their own reports, while
    they still work in the unit."""
    from insats.meetings.models import Deviation

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Deviation.objects.none()
    return Deviation.objects.filter(
        Q(unit_id__in=staff_units(user))
        | Q(reported_by=user, unit_id__in=deviation_reporting_units(user))
    )


def decide_deviation(user, deviation, *, handle: bool = False) -> Decision:
    """Read: the unit's staff, or its reporter while a member of the unit. Handle (analyse,
    decide, follow up, close): the unit's social-services staff only."""
    grounds = _staff_grounds(user, deviation.unit_id)
    if grounds:
        return full_access(grounds)
    if handle:
        return Decision(False, reason=_("Endast socialtjänsten i enheten hanterar avvikelser."))
    if deviation.reported_by_id == user.pk and deviation.unit_id in deviation_reporting_units(user):
        return Decision(
            True,
            (Ground("deviation", f"reporter:{deviation.pk}", _("rapporterade avvikelsen")),),
        )
    return DENY


class TalkAction(StrEnum):
    READ = "read"
    EDIT = "edit"
    SIGN = "sign"
    SHARE = "share"


def decide_safety_talk(user, talk, action: TalkAction = TalkAction.READ) -> Decision:
    """A safety talk is read by the supervisors of its unit and by its employee. Only a
    supervisor of the unit other than the employee changes, signs and shares it; a signed
    talk is frozen (a correction is a new talk) and only a signed talk is shared. The reason
    says why not, in Swedish."""
    supervisor = Role.SUPERVISOR in roles_of(user).in_unit(talk.unit_id)
    own = talk.employee_id == user.pk
    if action == TalkAction.READ:
        if supervisor:
            return full_access(_staff_grounds(user, talk.unit_id))
        if own:
            return full_access(
                (Ground("safety_talk", f"employee:{talk.pk}", _("eget säkerhetssamtal")),)
            )
        return DENY
    refusal = _talk_refusal(talk, action, supervisor=supervisor, own=own)
    if refusal:
        return Decision(False, reason=refusal)
    return full_access(_staff_grounds(user, talk.unit_id))


def _talk_refusal(talk, action: TalkAction, *, supervisor: bool, own: bool) -> str:
    if action == TalkAction.EDIT:
        if own:
            return _("Du kan inte ändra ditt eget säkerhetssamtal.")
        if not supervisor:
            return _("Endast en arbetsledare i enheten kan ändra samtalet.")
        if talk.signed_at is not None:
            return _(
                "Samtalet är undertecknat och kan inte ändras. "
                "En rättelse dokumenteras som ett nytt säkerhetssamtal."
            )
        return ""
    if action == TalkAction.SIGN:
        if own:
            return _(
                "Du kan inte underteckna ditt eget säkerhetssamtal. En annan arbetsledare gör det."
            )
        if not supervisor:
            return _("Endast en arbetsledare i enheten kan underteckna samtalet.")
        if talk.signed_at is not None:
            return _("Samtalet är redan undertecknat.")
        return ""
    if own:
        return _(
            "Du kan inte själv delge ditt eget säkerhetssamtal. En annan arbetsledare gör det."
        )
    if not supervisor:
        return _("Endast en arbetsledare i enheten kan delge samtalet säkerhetschefen.")
    if talk.signed_at is None:
        return _("Samtalet måste undertecknas innan det delges säkerhetschefen.")
    return ""


def decide_competence(user, coordinator, unit_id: int) -> Decision:
    """A coordinator's competence checklist in a unit: its supervisors keep it, the coordinator
    reads their own."""
    if Role.SUPERVISOR in roles_of(user).in_unit(unit_id):
        return full_access(_staff_grounds(user, unit_id))
    if coordinator.pk == user.pk:
        return full_access(
            (Ground("competence", f"coordinator:{coordinator.pk}", _("egen checklista")),)
        )
    return DENY


def may_keep_competence(user, coordinator, unit_id: int) -> bool:
    """Only a supervisor of the unit, and never for their own checklist."""
    return unit_id in review_units(user) and coordinator.pk != user.pk


def require_supervisor(user, unit_id: int) -> None:
    """For staff-safety write use cases: PermissionDenied unless a supervisor of the unit."""
    if unit_id not in review_units(user):
        raise PermissionDenied(_("Du är inte arbetsledare i enheten."))


def require_own_feed(user, feed) -> None:
    """A personal calendar feed is created and revoked by its own user only."""
    if feed.user_id != user.pk:
        raise PermissionDenied(_("Kalenderadressen tillhör någon annan."))
