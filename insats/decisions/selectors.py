"""Read queries for decisions: the supervisor's overview and the follow-up comparison.

Each runs a fixed number of queries, whatever the number of cases.
"""

from dataclasses import dataclass, field
from datetime import date
from statistics import median

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insats.access.policy import Section, may_read_section
from insats.cases.lifecycle import CLOSED_STATES, State
from insats.cases.models import Case
from insats.casework.models import CasePracticalMatter, DebtEnquiry, FailureReview, Placement
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
from insats.plans.models import ActionPlan
from insats.risk.models import RiskAssessment

from . import enrolment
from .models import CaseDecision, FollowUpAssessment
from .services import ENROLLED_STATES, current_review


@dataclass
class Overview:
    waiting: list = field(default_factory=list)  # (case, [unmet conditions], days since intake)
    reviews: list = field(default_factory=list)  # (case, decision), review date soonest first
    high_threats: list = field(default_factory=list)  # (case, assessment)
    open_measures: list = field(default_factory=list)  # measures, due date first
    lead_times: list = field(default_factory=list)  # (case, decision, days from intake)
    median_days: float | None = None

    @property
    def cases(self) -> list[Case]:
        """Every case the page names, for the access log."""
        seen = {}
        for row in (*self.waiting, *self.reviews, *self.high_threats, *self.lead_times):
            seen[row[0].pk] = row[0]
        for measure in self.open_measures:
            seen[measure.assessment.case.pk] = measure.assessment.case
        return list(seen.values())


def supervision_overview(user, units: set[int], today: date, *, review_horizon: date) -> Overview:
    overview = Overview()
    cases = Case.objects.filter(unit_id__in=units).select_related("unit", "coordinator")
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

    open_case_filter = {"case__unit_id__in": units}
    current = (
        ThreatAssessment.objects.filter(superseded_at__isnull=True, **open_case_filter)
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
            assessment__case__unit_id__in=units,
        )
        .exclude(assessment__case__state__in=CLOSED_STATES)
        .select_related("assessment__case__unit", "organisation")
        .order_by("due_on", "pk")
    )

    first_decisions = {}
    for decision in (
        CaseDecision.objects.filter(
            case__unit_id__in=units,
            kind__in=(CaseDecision.Kind.ENROL, CaseDecision.Kind.DECLINE),
        )
        .select_related("case__unit", "case__coordinator")
        .order_by("decided_on", "pk")
    ):
        first_decisions.setdefault(decision.case_id, decision)
    overview.lead_times = sorted(
        (
            (d.case, d, (d.decided_on - timezone.localdate(d.case.created_at)).days)
            for d in first_decisions.values()
        ),
        key=lambda row: row[1].decided_on,
        reverse=True,
    )
    if overview.lead_times:
        overview.median_days = median(row[2] for row in overview.lead_times)
    return overview


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
    statuses = _statuses(_section_facts(case)) if decision.categories is None else {}
    return [
        SectionStatus(str(section), url_name, str(label), statuses.get(section, ""))
        for section, url_name, label in SECTIONS
        if may_read_section(decision, section)
    ]
