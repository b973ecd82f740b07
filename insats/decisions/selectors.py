"""Read queries for decisions: the supervisor's overview and the follow-up comparison.

Each runs a fixed number of queries, whatever the number of cases.
"""

from dataclasses import dataclass, field
from datetime import date
from statistics import median

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insats.access import policy
from insats.access.policy import Section, may_read_section
from insats.cases.lifecycle import CLOSED_STATES, State
from insats.cases.models import Case
from insats.casework.models import CasePracticalMatter, DebtEnquiry, FailureReview, Placement
from insats.consent.models import Consent
from insats.consent.selectors import expiring_consents
from insats.investigation.models import (
    CriminalityProfile,
    Inventory,
    LetterHandover,
    PoliceAssessment,
    ResourceMapping,
    ThreatAssessment,
    ThreatLevel,
    ThreatMeasure,
)
from insats.investigation.services import unit_life_areas
from insats.meetings.models import Deviation, Task
from insats.organisations.models import Role
from insats.plans.models import ActionPlan
from insats.risk.models import RiskAssessment

from . import enrolment
from .models import CaseDecision, FollowUpAssessment
from .services import ENROLLED_STATES, current_review

# --- The supervisor's overview (/arbetsledning/) ------------------------------------------------
# Everything below reads one unit at a time and runs a fixed number of queries: a unit has a
# few hundred open cases, an installation a hundred thousand, so nothing loads another unit's
# rows and nothing queries per row.

LEAD_TIME_ROWS = 20  # the page lists the latest decisions; full figures are in the statistics
EARLY_STATES = frozenset({State.INTAKE, State.INVESTIGATION, State.DECISION})


@dataclass
class CaseloadRow:
    """Open cases of one coordinator (None: cases without an active coordinator of the unit)."""

    coordinator: object = None
    early: int = 0  # intake, investigation, decision
    enrolled: int = 0  # assignment, implementation, follow-up
    investigating: int = 0  # open cases where the coordinator is the investigator

    @property
    def total(self) -> int:
        return self.early + self.enrolled


@dataclass
class SummaryItem:
    anchor: str
    label: str
    count: int


@dataclass
class Overview:
    unit: object = None
    waiting: list = field(default_factory=list)  # (case, [unmet conditions], days since intake)
    reviews: list = field(default_factory=list)  # (case, decision), review date soonest first
    high_threats: list = field(default_factory=list)  # (case, assessment)
    open_measures: list = field(default_factory=list)  # measures, due date first
    lead_times: list = field(default_factory=list)  # latest (case, decision, days from intake)
    decided_count: int = 0  # cases with a first enrolment decision, all of them
    median_days: float | None = None
    expiring_consents: list = field(default_factory=list)  # (consent, days left)
    caseload: list = field(default_factory=list)  # CaseloadRow per active coordinator
    without_coordinator: CaseloadRow | None = None  # open cases no active coordinator holds
    open_cases: int = 0
    understaffed: list = field(default_factory=list)  # (case, [what is missing])
    deviations: list = field(default_factory=list)  # (deviation, days since reported)
    tasks: list = field(default_factory=list)  # (task, the case it is about or None)

    @property
    def cases(self) -> list[Case]:
        """Every case the page names, for the access log."""
        seen = {}
        rows = (
            *self.waiting,
            *self.reviews,
            *self.high_threats,
            *self.lead_times,
            *self.understaffed,
        )
        for row in rows:
            seen[row[0].pk] = row[0]
        for measure in self.open_measures:
            seen[measure.assessment.case.pk] = measure.assessment.case
        for consent, _days in self.expiring_consents:
            seen[consent.case.pk] = consent.case
        for deviation, _days in self.deviations:
            if deviation.case is not None:
                seen[deviation.case.pk] = deviation.case
        for _task, case in self.tasks:
            if case is not None:
                seen[case.pk] = case
        return list(seen.values())


def supervision_overview(user, unit, today: date, *, review_horizon: date) -> Overview:
    """What needs the supervisor's attention in one unit (the caller checks the user may)."""
    overview = Overview(unit=unit)
    cases = Case.objects.filter(unit_id=unit.pk).select_related("unit", "coordinator")
    waiting = list(cases.filter(state=State.DECISION).order_by("created_at"))
    conditions = enrolment.conditions_for(waiting, user, today)
    overview.waiting = [
        (
            case,
            [c for c in conditions[case.pk] if not c.met],
            (today - timezone.localdate(case.created_at)).days,
        )
        for case in waiting
    ]

    enrolled = {c.pk: c for c in cases.filter(state__in=ENROLLED_STATES)}
    reviews = current_review(enrolled)
    overview.reviews = sorted(
        (
            (enrolled[case_id], decision)
            for case_id, decision in reviews.items()
            if decision.review_on is not None and decision.review_on <= review_horizon
        ),
        key=lambda row: row[1].review_on,
    )

    current = (
        ThreatAssessment.objects.filter(superseded_at__isnull=True, case__unit_id=unit.pk)
        .exclude(case__state__in=CLOSED_STATES)
        .select_related("case__unit", "case__coordinator")
        .order_by("case_id", "-assessed_on", "-recorded_at")
    )
    latest: dict[int, ThreatAssessment] = {}
    for assessment in current:
        latest.setdefault(assessment.case_id, assessment)
    overview.high_threats = [(a.case, a) for a in latest.values() if a.level == ThreatLevel.HIGH]
    overview.open_measures = list(
        ThreatMeasure.objects.filter(
            done_on__isnull=True,
            assessment__superseded_at__isnull=True,
            assessment__case__unit_id=unit.pk,
        )
        .exclude(assessment__case__state__in=CLOSED_STATES)
        .select_related("assessment__case__unit", "organisation")
        .order_by("due_on", "pk")
    )

    _lead_times(overview, unit)
    overview.expiring_consents = _expiring_consents(user, unit, today)
    overview.caseload, overview.without_coordinator, overview.open_cases = _caseload(unit)
    overview.understaffed = understaffed_cases(unit)
    overview.deviations = _open_deviations(unit, today)
    overview.tasks = _open_tasks(unit)
    return overview


def _lead_times(overview: Overview, unit) -> None:
    """The median over every case's first enrolment decision; rows for the latest few only.

    Two queries: the dates of all (small rows, one unit), then the latest rows in full.
    """
    first: dict[int, tuple] = {}
    for pk, case_id, decided_on, created_at in (
        CaseDecision.objects.filter(
            case__unit_id=unit.pk,
            kind__in=(CaseDecision.Kind.ENROL, CaseDecision.Kind.DECLINE),
        )
        .order_by("decided_on", "pk")
        .values_list("pk", "case_id", "decided_on", "case__created_at")
    ):
        first.setdefault(case_id, (pk, decided_on, created_at))
    if not first:
        return
    overview.decided_count = len(first)
    overview.median_days = median(
        (decided_on - timezone.localdate(created_at)).days
        for _pk, decided_on, created_at in first.values()
    )
    latest = sorted(first.values(), key=lambda row: (row[1], row[0]), reverse=True)
    shown = CaseDecision.objects.filter(pk__in=[row[0] for row in latest[:LEAD_TIME_ROWS]])
    overview.lead_times = sorted(
        (
            (d.case, d, (d.decided_on - timezone.localdate(d.case.created_at)).days)
            for d in shown.select_related("case__unit", "case__coordinator")
        ),
        key=lambda row: (row[1].decided_on, row[1].pk),
        reverse=True,
    )


def _expiring_consents(user, unit, today: date) -> list[tuple]:
    """Consents of the unit's open cases ending within 30 days, unless already renewed.

    A consent counts as renewed when the case has another unrevoked consent that ends later:
    the supervisor has nothing left to chase there.
    """
    renewed = Consent.objects.filter(
        case=OuterRef("case"),
        revoked_on__isnull=True,
        ended_on__isnull=True,
        valid_until__gt=OuterRef("valid_until"),
    )
    consents = (
        expiring_consents(user, today)
        .filter(case__unit_id=unit.pk)
        .exclude(case__state__in=CLOSED_STATES)
        .exclude(Exists(renewed))
        .select_related("case__unit", "case__coordinator")
        .order_by("valid_until", "pk")
    )
    return [(consent, (consent.valid_until - today).days) for consent in consents]


def _caseload(unit) -> tuple[list[CaseloadRow], CaseloadRow | None, int]:
    """Open cases per active coordinator, split by phase, and as investigator.

    One aggregate over the unit's open cases, grouped by (coordinator, investigator, state):
    the rows grow with the staff, not with the cases. Coordinators with no case are listed too;
    open cases held by nobody (or by someone no longer an active coordinator) are summed apart.
    """
    coordinators = list(
        policy.unit_staff(unit.pk, {Role.COORDINATOR}).order_by("first_name", "last_name", "pk")
    )
    rows = {user.pk: CaseloadRow(coordinator=user) for user in coordinators}
    others = CaseloadRow()
    total = 0
    groups = (
        Case.objects.filter(unit_id=unit.pk)
        .exclude(state__in=CLOSED_STATES)
        .values("coordinator_id", "investigator_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for group in groups:
        total += group["n"]
        row = rows.get(group["coordinator_id"], others)
        if group["state"] in EARLY_STATES:
            row.early += group["n"]
        else:
            row.enrolled += group["n"]
        if group["investigator_id"] in rows:
            rows[group["investigator_id"]].investigating += group["n"]
    return list(rows.values()), others if others.total else None, total


def _differs(field_name: str, other: str) -> Q:
    """`field_name` is not the same person as `other` (which may be empty)."""
    return (
        Q(**{f"{other}__isnull": True})
        | Q(**{f"{field_name}__lt": F(other)})
        | Q(**{f"{field_name}__gt": F(other)})
    )


def _one(condition: Q) -> SqlCase:
    return SqlCase(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


# How many different people are coordinator, investigator and decision maker of a case.
STAFF_COUNT = (
    _one(Q(coordinator__isnull=False))
    + _one(Q(investigator__isnull=False) & _differs("investigator_id", "coordinator_id"))
    + _one(
        Q(decision_maker__isnull=False)
        & _differs("decision_maker_id", "coordinator_id")
        & _differs("decision_maker_id", "investigator_id")
    )
)


def understaffed_cases(unit) -> list[tuple]:
    """Open cases with fewer than two staff (SPEC §6: at least two staff per case)."""
    cases = (
        Case.objects.filter(unit_id=unit.pk)
        .exclude(state__in=CLOSED_STATES)
        .alias(staff=STAFF_COUNT)
        .filter(staff__lt=2)
        .select_related("unit", "coordinator", "investigator", "decision_maker")
        .order_by("year", "sequence")
    )
    return [(case, staffing_gaps(case)) for case in cases]


def staffing_gaps(case) -> list[str]:
    """What keeps a case from having two staff, in words (the case's users are loaded)."""
    gaps = []
    if case.coordinator_id is None:
        gaps.append(_("Lots saknas."))
    if case.investigator_id is None:
        gaps.append(_("Utredare saknas."))
    elif case.investigator_id == case.coordinator_id:
        name = case.coordinator.get_full_name() or case.coordinator.username
        gaps.append(_("%(name)s är både lots och utredare.") % {"name": name})
    return gaps


def _open_deviations(unit, today: date) -> list[tuple]:
    """The unit's deviations not yet closed, oldest report first, with their age in days."""
    deviations = (
        Deviation.objects.filter(unit_id=unit.pk)
        .exclude(status=Deviation.Status.CLOSED)
        .select_related("organisation", "case__unit")
        .order_by("reported_at", "pk")
    )
    return [
        (deviation, (today - timezone.localdate(deviation.reported_at)).days)
        for deviation in deviations
    ]


def _open_tasks(unit) -> list[tuple]:
    """Tasks from the unit's minutes not yet done, with the case they are about (if any)."""
    tasks = (
        Task.objects.filter(meeting__unit_id=unit.pk, done_on__isnull=True)
        .select_related("responsible", "meeting__case__unit", "item__case__unit")
        .order_by("due_on", "pk")
    )
    rows = []
    for task in tasks:
        case = task.item.case if task.item is not None and task.item.case_id else None
        case = case or task.meeting.case
        rows.append((task, case if case is not None and case.unit_id == unit.pk else None))
    return rows


def supervision_summary(overview: Overview, attention) -> list[SummaryItem]:
    """One count per section of the page, in page order, for the strip at its top."""
    return [
        SummaryItem("waiting-title", _("Väntar på beslut"), len(overview.waiting)),
        SummaryItem("reviews-title", _("Omprövningar inom 30 dagar"), len(overview.reviews)),
        SummaryItem(
            "overdue-measures-title",
            _("Försenade åtgärder i handlingsplaner"),
            len(attention.overdue_measures),
        ),
        SummaryItem(
            "missed-follow-ups-title",
            _("Uteblivna uppföljningar av handlingsplaner"),
            len(attention.missed_follow_ups),
        ),
        SummaryItem(
            "consents-title",
            _("Samtycken som går ut inom 30 dagar"),
            len(overview.expiring_consents),
        ),
        SummaryItem("threat-title", _("Hög hotbild"), len(overview.high_threats)),
        SummaryItem("measures-title", _("Öppna hotåtgärder"), len(overview.open_measures)),
        SummaryItem(
            "understaffed-title",
            _("Ärenden med färre än två i personalen"),
            len(overview.understaffed),
        ),
        SummaryItem("caseload-title", _("Pågående ärenden"), overview.open_cases),
        SummaryItem(
            "deviations-title", _("Öppna avvikelser i samverkan"), len(overview.deviations)
        ),
        SummaryItem("tasks-title", _("Öppna uppgifter från möten"), len(overview.tasks)),
    ]


def follow_up_rows(case, assessments) -> list[tuple]:
    """(life area, [(rating, change from the assessment before) per assessment]) side by side.

    The change is the difference in rating (higher is better), None where either is missing.
    """
    by_assessment = [{r.life_area_id: r for r in a.ratings.all()} for a in assessments]
    rows = []
    for area in unit_life_areas(case):
        cells, before = [], None
        for ratings in by_assessment:
            rating = ratings.get(area.pk)
            now = rating.rating if rating else None
            change = now - before if now is not None and before is not None else None
            cells.append((rating, change))
            before = now
        rows.append((area, cells))
    return rows


INDICATORS = (
    "occupation",
    "housing",
    "substance_use",
    "offences_last_six_months",
    "criminal_network",
    "income",
)


def follow_up_indicators(assessments) -> list[tuple]:
    """(label, [(shown value, changed since the assessment before)]) per outcome indicator."""
    rows = []
    for name in INDICATORS:
        field = FollowUpAssessment._meta.get_field(name)
        cells, before = [], None
        for index, assessment in enumerate(assessments):
            value = getattr(assessment, name)
            shown = getattr(assessment, f"get_{name}_display")() if field.choices else value
            cells.append(("–" if shown is None else shown, index > 0 and value != before))
            before = value
        rows.append((field.verbose_name, cells))
    return rows


@dataclass
class SectionStatus:
    section: str
    url_name: str
    label: str
    status: str  # a short summary for staff, "" for partners


def _current(model):
    return model.objects.filter(case=OuterRef("pk"), superseded_at__isnull=True)


def _count(queryset):
    return Subquery(
        queryset.order_by().values("case").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


def _newest(queryset, field: str):
    return Subquery(queryset.order_by("-assessed_on", "-recorded_at").values(field)[:1])


def _section_facts(case) -> dict:
    """Everything the staff's section summary shows, in one query."""
    return (
        Case.objects.filter(pk=case.pk)
        .annotate(
            inventories=_count(_current(Inventory)),
            inventories_done=_count(_current(Inventory).filter(completed=True)),
            letter_on=Subquery(
                LetterHandover.objects.filter(case=OuterRef("pk"))
                .order_by("-handed_over_on", "-pk")
                .values("handed_over_on")[:1]
            ),
            police=_newest(_current(PoliceAssessment), "outcome"),
            criminality=Exists(_current(CriminalityProfile)),
            resources=Exists(_current(ResourceMapping)),
            threat_level=_newest(_current(ThreatAssessment), "level"),
            threat_done=_newest(_current(ThreatAssessment), "completed"),
            risk=_newest(_current(RiskAssessment), "summary"),
            decision_kind=Subquery(
                CaseDecision.objects.filter(case=OuterRef("pk"))
                .order_by("-decided_on", "-pk")
                .values("kind")[:1]
            ),
            decision_on=Subquery(
                CaseDecision.objects.filter(case=OuterRef("pk"))
                .order_by("-decided_on", "-pk")
                .values("decided_on")[:1]
            ),
            first_follow_up=Exists(_current(FollowUpAssessment).filter(kind="first")),
            second_follow_up=Exists(_current(FollowUpAssessment).filter(kind="second")),
            plan_status=Subquery(
                ActionPlan.objects.filter(case=OuterRef("pk")).values("status")[:1]
            ),
            practical_done=_count(
                CasePracticalMatter.objects.filter(case=OuterRef("pk"), done_on__isnull=False)
            ),
            enquiries=_count(DebtEnquiry.objects.filter(case=OuterRef("pk"))),
            placements=_count(Placement.objects.filter(case=OuterRef("pk"))),
            open_reviews=_count(
                FailureReview.objects.filter(case=OuterRef("pk"), closed_on__isnull=True)
            ),
        )
        .values()
        .get()
    )


def _statuses(facts: dict) -> dict[str, str]:
    missing = _("Ej registrerad")
    threat = missing
    if facts["threat_level"]:
        done = _("klar") if facts["threat_done"] else _("ej klar")
        threat = f"{ThreatLevel(facts['threat_level']).label} ({done})"
    follow_ups = [
        str(label)
        for flag, label in (
            (facts["first_follow_up"], FollowUpAssessment.Kind.FIRST.label),
            (facts["second_follow_up"], FollowUpAssessment.Kind.SECOND.label),
        )
        if flag
    ]
    return {
        Section.INVENTORY: _("Inventeringar: %(count)s, varav klara: %(done)s")
        % {"count": facts["inventories"], "done": facts["inventories_done"] or 0}
        if facts["inventories"]
        else _("Ingen inventering"),
        Section.LETTER: _("Överlämnat %(day)s") % {"day": facts["letter_on"].isoformat()}
        if facts["letter_on"]
        else _("Inte överlämnat"),
        Section.POLICE_ASSESSMENT: str(PoliceAssessment.Outcome(facts["police"]).label)
        if facts["police"]
        else missing,
        Section.CRIMINALITY: _("Finns") if facts["criminality"] else missing,
        Section.RESOURCES: _("Finns") if facts["resources"] else missing,
        Section.THREAT: threat,
        Section.RISK: facts["risk"] or _("Ingen bedömning"),
        Section.DECISIONS: f"{CaseDecision.Kind(facts['decision_kind']).label} "
        f"{facts['decision_on'].isoformat()}"
        if facts["decision_kind"]
        else _("Inga beslut"),
        Section.FOLLOW_UP: ", ".join(follow_ups) or _("Ingen bedömning"),
        Section.PLAN: str(ActionPlan.Status(facts["plan_status"]).label)
        if facts["plan_status"]
        else _("Ingen plan"),
        Section.PRACTICAL: _("Lösta: %(done)s") % {"done": facts["practical_done"] or 0},
        Section.ECONOMY: _("Förfrågningar till Kronofogden: %(enquiries)s, placeringar: %(n)s")
        % {"enquiries": facts["enquiries"] or 0, "n": facts["placements"] or 0},
        Section.FAILURE_REVIEW: _("Pågående: %(open)s") % {"open": facts["open_reviews"]}
        if facts["open_reviews"]
        else _("Ingen pågående"),
    }


SECTIONS = (
    (Section.INVENTORY, "inventory_list", gettext_lazy("Behovs- och resursinventering")),
    (Section.LETTER, "letter", gettext_lazy("Informationsbrev")),
    (Section.POLICE_ASSESSMENT, "police_assessment", gettext_lazy("Polisens bedömning")),
    (Section.CRIMINALITY, "criminality", gettext_lazy("Kriminalitet")),
    (Section.RESOURCES, "resources", gettext_lazy("Resurskartläggning")),
    (Section.THREAT, "threat_list", gettext_lazy("Hotbildsbedömning")),
    (Section.RISK, "risk_list", gettext_lazy("Strukturerad riskbedömning")),
    (Section.DECISIONS, "decision_list", gettext_lazy("Beslut")),
    (Section.FOLLOW_UP, "follow_up_list", gettext_lazy("Uppföljningsbedömning")),
    (Section.PLAN, "plan_detail", gettext_lazy("Handlingsplan")),
    (Section.PRACTICAL, "practical", gettext_lazy("Praktiska frågor")),
    (Section.ECONOMY, "economy", gettext_lazy("Ekonomi, skulder och placeringar")),
    (Section.FAILURE_REVIEW, "failure_reviews", gettext_lazy("Haverikommission")),
)


def case_sections(case, decision) -> list[SectionStatus]:
    """The investigation and decision sections of a case page the user may read.

    Staff get a one-line status per section (one query for all); partners only the links
    their consent allows. In the order of the work: investigation, decision, plan, casework.
    """
    statuses = _statuses(_section_facts(case)) if decision.full else {}
    return [
        SectionStatus(str(section), url_name, str(label), statuses.get(section, ""))
        for section, url_name, label in SECTIONS
        if may_read_section(decision, section)
    ]
