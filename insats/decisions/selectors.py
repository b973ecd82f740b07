"""Read queries for decisions: the supervisor's overview and the follow-up comparison.

Each runs a fixed number of queries, whatever the number of cases.
"""

from dataclasses import dataclass, field
from datetime import date
from statistics import median

from django.utils import timezone

from insats.cases.lifecycle import CLOSED_STATES, State
from insats.cases.models import Case
from insats.investigation.models import ThreatAssessment, ThreatLevel, ThreatMeasure
from insats.investigation.services import unit_life_areas

from . import enrolment
from .models import CaseDecision
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
    """(life area, [rating per assessment]) for the side-by-side view."""
    by_assessment = [{r.life_area_id: r for r in a.ratings.all()} for a in assessments]
    return [
        (area, [ratings.get(area.pk) for ratings in by_assessment])
        for area in unit_life_areas(case)
    ]


@dataclass
class SectionStatus:
    section: str
    url_name: str
    label: str
    status: str  # a short Swedish summary, "" for partners


def case_sections(case, user, decision) -> list[SectionStatus]:
    """The investigation and decision sections of a case page the user may read, with status.

    Staff get a one-line status per section (one query each); partners only the links their
    consent allows.
    """
    from django.utils.translation import gettext as _

    from insats.access.policy import Section, may_read_section
    from insats.investigation.models import (
        CriminalityProfile,
        Inventory,
        LetterHandover,
        PoliceAssessment,
        ResourceMapping,
    )
    from insats.risk.models import RiskAssessment

    from .models import FollowUpAssessment

    staff = decision.categories is None

    def latest(model, *order):
        return (
            model.objects.filter(case=case, superseded_at__isnull=True)
            .order_by(*order, "-recorded_at")
            .first()
        )

    def inventory():
        current = list(Inventory.objects.filter(case=case, superseded_at__isnull=True))
        if not current:
            return _("Ingen inventering")
        done = sum(1 for i in current if i.completed)
        return _("%(count)s inventeringar, %(done)s klara") % {
            "count": len(current),
            "done": done,
        }

    def letter():
        handover = LetterHandover.objects.filter(case=case).first()
        if handover is None:
            return _("Inte överlämnat")
        return _("Överlämnat %(day)s") % {"day": handover.handed_over_on.isoformat()}

    def police():
        found = latest(PoliceAssessment, "-assessed_on")
        return found.get_outcome_display() if found else _("Saknas")

    def exists(model):
        def check():
            return _("Finns") if latest(model) else _("Saknas")

        return check

    def threat():
        found = latest(ThreatAssessment, "-assessed_on")
        if found is None:
            return _("Saknas")
        state = _("klar") if found.completed else _("ej klar")
        return f"{found.get_level_display()} ({state})"

    def risk():
        found = latest(RiskAssessment, "-assessed_on")
        return found.summary if found else _("Ingen bedömning")

    def decisions():
        found = case.decisions.first()
        if found is None:
            return _("Inga beslut")
        return f"{found.get_kind_display()} {found.decided_on.isoformat()}"

    def follow_up():
        kinds = FollowUpAssessment.objects.filter(case=case, superseded_at__isnull=True)
        return ", ".join(str(a.get_kind_display()) for a in kinds) or _("Ingen bedömning")

    rows = [
        (Section.INVENTORY, "inventory_list", _("Behovs- och resursinventering"), inventory),
        (Section.LETTER, "letter", _("Informationsbrev"), letter),
        (Section.POLICE_ASSESSMENT, "police_assessment", _("Polisens bedömning"), police),
        (Section.CRIMINALITY, "criminality", _("Kriminalitet"), exists(CriminalityProfile)),
        (Section.RESOURCES, "resources", _("Resurskartläggning"), exists(ResourceMapping)),
        (Section.THREAT, "threat_list", _("Hotbildsbedömning"), threat),
        (Section.RISK, "risk_list", _("Strukturerad riskbedömning"), risk),
        (Section.DECISIONS, "decision_list", _("Beslut"), decisions),
        (Section.FOLLOW_UP, "follow_up_list", _("Uppföljningsbedömning"), follow_up),
    ]
    return [
        SectionStatus(str(section), url_name, label, status() if staff else "")
        for section, url_name, label, status in rows
        if may_read_section(decision, section)
    ]
