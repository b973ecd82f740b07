"""Every page, rendered for every kind of outsider, shows none of unit B's personal data.

DESIGN: "another [test] renders each page as an outsider and asserts no personal data appears".
The pages are found by walking the URL patterns, so a new page is covered without editing this
file: `pk` under arenden/ is each of B's cases, under personer/ each of B's people (only the
first case or person on routes with more arguments); a record id (`record_pk`, `decision_pk`)
is B's record of the kind the route's segment names (RECORD_SEGMENTS); every other argument
naming an object is B's object of that kind (OBJECT_ARGUMENTS), and the route's `pk` is then
the object's own case or person (or, under atervandare/, the returnee itself). An argument this
test does not know fails the walk. A slug gets a lifecycle state; the calendar feed's secret
token gets a wrong, random one (the token itself is tested separately).

B's identified case has a group, a consent (not covering the police), a disclosure and one
record of every investigation kind and a risk assessment, each with made-up text (B_TEXTS).
B's police officer wrote the police assessment under a second consent that has since been
revoked. A second identified case is enrolled, with a decision and a first follow-up
assessment; its consent covers the police, but B's officer has left its group. So B's police
officer is an outsider to every case of B.

B also keeps its collaboration: a preparation group with a member, a contact, an agreement, a
preparation meeting whose agenda has an item about the identified case (with minutes and a
task) and a general item, an individual-group meeting about the enrolled case, a deviation, a
calendar feed, an action plan with a measure on the enrolled case, and on the identified case a
Kronofogden enquiry, a placement and a failure review, and a returnee without a case. B's
police officer is invited to the preparation meeting: they may see its general part (the
general item is not personal data), never the item about the case.
"""

import itertools
import re
import secrets as token_source
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote, quote_plus

import pytest
from django.contrib.admin import site as admin_site
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape
from pypdf import PdfReader

from insats.access.models import AccessLogEntry, AccessLogFlag
from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseMember, CaseTransition
from insats.casework import (
    services_economy,
    services_practical,
    services_returnees,
    services_reviews,
)
from insats.casework.models import (
    CasePracticalMatter,
    Debt,
    DebtEnquiry,
    FailureReview,
    FailureReviewDecision,
    Placement,
    Returnee,
)
from insats.consent import services as consent_services
from insats.consent.models import Consent, Disclosure
from insats.decisions import services as decision_services
from insats.decisions.models import CaseDecision, FollowUpAssessment
from insats.investigation import services as inv
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
from insats.meetings import services_agenda, services_deviations, services_groups
from insats.meetings import services_meetings as meeting_services
from insats.meetings.models import (
    AgendaItem,
    Agreement,
    CalendarFeed,
    Contact,
    Deviation,
    DistrictChecklist,
    Group,
    GroupMember,
    Invitation,
    Meeting,
    Task,
)
from insats.organisations.models import InformationCategory, LegalReference, User
from insats.people import services as people_services
from insats.people.models import Guardian, Person
from insats.plans import services as plan_services
from insats.plans.models import (
    ActionPlan,
    GoalResult,
    MeasureReport,
    PlanFollowUp,
    PlanGoal,
    PlanMeasure,
    PlanRevision,
)
from insats.risk import services as risk_services
from insats.risk.models import RiskAssessment
from insats.staffsafety import selectors as staffsafety_selectors
from insats.staffsafety import services as staffsafety_services
from insats.staffsafety.models import CompetenceItem, SafetyTalk
from tests import builders

B_PREFIX = "BX"

# Made-up text written into B's records, one per kind; none of it may reach an outsider.
B_TEXTS = {
    "inventory": "Vill bli snickare som morfar Algot",
    "letter": "Lämnat vid hembesök hos mormor i Snöbacka",
    "police": "Känd av närpolisen för inbrotten i Kvarnbyhallen",
    "criminality": "Förundersökning 5000-K4711 Vinterby",
    "network": "Rut Snödroppe",
    "threat": "Hot från Kvarnbygänget",
    "risk": "Rymt två gånger från Snöbacka gård",
    "decision": "Beviljas efter samråd med Vinterby fritidsgård",
    "follow_up": "Praktik på Vinterby bageri sedan mars",
    # Collaboration, plan and casework.
    "preparation": "Skolfrånvaro fyrtio procent sedan jullovet",
    "minutes": "Överens om praktik på Vinterby sågverk",
    "task": "Boka studiebesök på Vinterby sågverk",
    "deviation": "Kallelsen om Snöbackabranden nådde aldrig polisen",
    "measure": "Körkortsteori hos Vinterby trafikskola",
    "placement": "Granbackens behandlingshem",
    "review": "Mormor Rut, tränaren och Vinterby fritidsgård",
    "returnee": "Ture Rimfrostsson",
    # Staff safety.
    "safety_talk": "Hotad vid Vinterby busstation i höstas",
    "competence": "Anmäld till Vinterbys MI-utbildning",
}
# The general item of B's preparation meeting: not personal data, and its invitee (B's police
# officer) may read it, so it is not among the secrets.
GENERAL_ITEM = "Genomgång av samverkansöverenskommelsen"

# B's record kinds, and the URL segment under arenden/<pk>/ of those with pages of their own.
RECORD_MODELS = (
    Inventory,
    LetterHandover,
    PoliceAssessment,
    CriminalityProfile,
    ResourceMapping,
    ThreatAssessment,
    RiskAssessment,
    CaseDecision,
    FollowUpAssessment,
)
RECORD_SEGMENTS = {
    "inventering": Inventory,
    "polisbedomning": PoliceAssessment,
    "hotbild": ThreatAssessment,
    "riskbedomning": RiskAssessment,
    "beslut": CaseDecision,
    "uppfoljningsbedomning": FollowUpAssessment,
}


# Arguments naming one of B's objects, beyond the records: the BSecrets attributes walked.
# (`member_pk` is a case's group member under arenden/, a collaboration group's elsewhere.)
OBJECT_ARGUMENTS = {
    "guardian_pk": ("guardian",),
    "consent_pk": ("consent",),
    "entry_pk": ("log_entry",),
    "meeting_pk": ("meeting", "case_meeting"),
    "item_pk": ("case_item", "general_item"),
    "task_pk": ("task",),
    "deviation_pk": ("deviation",),
    "group_pk": ("group",),
    "contact_pk": ("contact",),
    "agreement_pk": ("agreement",),
    "measure_pk": ("measure",),
    "enquiry_pk": ("enquiry",),
    "placement_pk": ("placement",),
    "review_pk": ("review",),
    "talk_pk": ("safety_talk",),
    "coordinator_pk": ("competence_of",),
}


@dataclass(kw_only=True)
class BSecrets:
    person: Person
    guardian: Guardian
    identified: Case
    deidentified: Case
    consent: Consent
    members: list[CaseMember]
    disclosure: Disclosure
    enrolled: Case
    records: list[models.Model]  # one of each of RECORD_MODELS
    # Collaboration (b_collaboration).
    group: Group
    group_member: GroupMember
    contact: Contact
    agreement: Agreement
    meeting: Meeting  # the preparation meeting; B's police officer is invited
    case_meeting: Meeting  # the individual group of the enrolled case
    case_item: AgendaItem  # about the identified case, with minutes and a task
    general_item: AgendaItem
    task: Task
    deviation: Deviation
    feed: CalendarFeed  # B's supervisor's
    # Plan and casework (b_casework).
    measure: PlanMeasure
    enquiry: DebtEnquiry
    placement: Placement
    review: FailureReview
    returnee: Returnee
    # Staff safety: a talk with B's coordinator, and the coordinator's competence checklist.
    safety_talk: SafetyTalk | None = None
    competence_of: User | None = None
    log_entry: AccessLogEntry | None = None  # set once B's staff have worked on the cases

    @property
    def cases(self) -> list[Case]:
        return [self.identified, self.deidentified, self.enrolled]

    @property
    def people(self) -> list[Person]:
        return [self.person, self.enrolled.person]

    def record(self, model) -> models.Model:
        return next(record for record in self.records if isinstance(record, model))

    def strings(self) -> set[str]:
        strings = {
            self.guardian.name,
            self.guardian.phone,
            *(case.alias for case in self.cases),
            *(case.number for case in self.cases),
            *(case.intake_basis for case in self.cases),
            *(case.source_detail for case in self.cases),
            *(member.name for member in self.members if member.name),
            self.disclosure.information,
            self.feed.token,  # whoever has it reads B's supervisor's calendar
            *B_TEXTS.values(),
        }
        for p in self.people:
            digits = p.identity_number
            strings |= {
                p.first_name,
                p.last_name,
                p.full_name,
                digits,
                f"{digits[:8]}-{digits[8:]}",
                digits[2:],
                f"{digits[2:8]}-{digits[8:]}",
                p.street_address,
                p.phone,
                p.email,
            }
        return strings

    def invitee_pages(self) -> set[str]:
        """The pages B's police officer, invited to the preparation meeting, may open."""
        meeting = self.meeting.pk
        return {
            reverse("meeting_detail", args=[meeting]),
            reverse("agenda", args=[meeting]),
            reverse("meeting_minutes_pdf", args=[meeting]),
            reverse("agenda_item_pdf", args=[meeting, self.general_item.pk]),
        }


def b_records(world, case: Case) -> list[models.Model]:
    """One record of each investigation kind and a risk assessment on B's identified case."""
    boss, today = world.supervisor, timezone.localdate()
    # Only a police member under a consent covering the police records the assessment. B's
    # officer is in the group; the consent for it is revoked at once, so the officer no longer
    # sees the case.
    police_consent = builders.consent(world, case, codes=("criminality",))
    police = inv.police_assessment_save(
        case=case,
        by=world.partner,
        outcome=PoliceAssessment.Outcome.SUITABLE,
        reasoning=B_TEXTS["police"],
        assessed_on=today,
    )
    consent_services.consent_revoke(consent=police_consent, by=boss, revoked_on=today, how="Brev")
    instrument = risk_services.instruments_for(case.unit_id).first()
    return [
        inv.inventory_save(
            case=case, by=boss, assessed_on=today, ratings=[], motivation_note=B_TEXTS["inventory"]
        ),
        inv.letter_handover_record(
            case=case,
            by=boss,
            letter=inv.current_letter(case.unit_id),
            handed_over_on=today,
            handed_over_by=world.coordinator,
            note=B_TEXTS["letter"],
        ),
        police,
        inv.criminality_save(
            case=case,
            by=boss,
            volume=CriminalityProfile.Volume.SEVERAL,
            items=[
                {
                    "crime_type": inv.crime_types(case).first(),
                    "basis": "confirmed",
                    "source": B_TEXTS["criminality"],
                    "noted_on": today,
                }
            ],
        ),
        inv.resources_save(
            case=case, by=boss, people=[{"name": B_TEXTS["network"], "relation": "Mormor"}]
        ),
        inv.threat_save(
            case=case,
            by=boss,
            assessed_on=today,
            level=ThreatLevel.MODERATE,
            description=B_TEXTS["threat"],
            measures=[],
        ),
        risk_services.risk_assessment_save(
            case=case,
            by=boss,
            instrument=instrument,
            assessed_on=today,
            summary=instrument.summary_scale[0],
            summary_reasons=B_TEXTS["risk"],
            ratings=[],
            extra_factors=[],
        ),
    ]


def b_enrolled_case(world) -> tuple[Case, list[models.Model]]:
    """A second identified case, enrolled, with its decision and first follow-up assessment."""
    boss, today = world.supervisor, timezone.localdate()
    case = builders.enrollable_case(
        world,
        intake_basis="Skadegörelse vid Snöbacka station",
        source_detail="Fältgruppen Vinterby",
    )
    people_services.person_update(
        person=case.person, by=boss, first_name="Vilgot", last_name="Snöbäck"
    )
    decision = decision_services.decide_enrolment(
        case=case,
        by=boss,
        outcome=True,
        decided_on=today,
        reasons=B_TEXTS["decision"],
        risk_of_reoffending="Hög.",
        motivation="God.",
        needs="Sysselsättning.",
        resources="Familjen.",
        criminality="Flera brott.",
        legal_reference=LegalReference.objects.get(unit=world.unit, code="support_sol"),
    )
    case.refresh_from_db()
    follow_up = decision_services.follow_up_save(
        case=case,
        by=world.coordinator,
        kind=FollowUpAssessment.Kind.FIRST,
        assessed_on=today,
        occupation="measure",
        housing="family",
        substance_use="none",
        criminal_network="occasional",
        income="benefit",
        ratings=[],
        note=B_TEXTS["follow_up"],
    )
    # The case's consent covers the police, but B's officer has left the group.
    officer = CaseMember.objects.get(case=case, user=world.partner, removed_at__isnull=True)
    consent_services.member_remove(member=officer, by=boss)
    return case, [decision, follow_up]


def b_collaboration(world, identified: Case, enrolled: Case) -> dict:
    """B's groups, contacts, agreements, meetings with agenda and minutes, deviation and feed."""
    boss, today = world.supervisor, timezone.localdate()
    unit = world.unit
    group = services_groups.group_save(
        unit=unit,
        by=boss,
        kind=Group.Kind.PREPARATION,
        name="Beredningsgruppen Beta",
        rhythm_days=14,
    )
    group_member = services_groups.member_add(
        group=group,
        by=boss,
        organisation=world.school,
        name="Ester Lingonris",
        email="ester@example.org",
        function="Rektor",
    )
    contact = services_groups.contact_save(
        unit=unit,
        by=boss,
        organisation=world.police,
        name="Kommunpolis Beta",
        phone="08-654321",
        last_reviewed_on=today,
    )
    agreement = services_groups.agreement_save(
        unit=unit,
        by=boss,
        kind=Agreement.Kind.AGREEMENT,
        title="Samverkansöverenskommelse Beta",
        dated_on=today,
        review_on=today + timedelta(days=365),
    )
    starts_at = timezone.make_aware(datetime.combine(today + timedelta(days=7), time(9)))
    meeting_times = {"starts_at": starts_at, "ends_at": starts_at + timedelta(hours=1)}
    meeting = meeting_services.meeting_create(
        unit=unit,
        by=boss,
        kind=Meeting.Kind.PREPARATION,
        group=group,
        title="Beredningsgruppens möte",
        place="Vinterby kommunhus",
        convener=world.coordinator,
        invitees=[meeting_services.Invitee(user=world.partner, organisation=world.police)],
        **meeting_times,
    )
    case_meeting = meeting_services.meeting_create(
        unit=unit,
        by=boss,
        kind=Meeting.Kind.INDIVIDUAL,
        case=enrolled,
        place="Vinterby kommunhus",
        convener=world.coordinator,
        **meeting_times,
    )
    case_item = services_agenda.item_create(
        meeting=meeting,
        by=boss,
        part=AgendaItem.Part.INDIVIDUAL,
        case=identified,
        preparation=B_TEXTS["preparation"],
    )
    services_agenda.item_minutes_save(
        item=case_item,
        by=boss,
        minutes=B_TEXTS["minutes"],
        tasks=[
            {
                "task_id": None,
                "description": B_TEXTS["task"],
                "responsible": world.coordinator,
                "due_on": today + timedelta(days=14),
            }
        ],
    )
    general_item = services_agenda.item_create(
        meeting=meeting, by=boss, part=AgendaItem.Part.GENERAL, title=GENERAL_ITEM
    )
    deviation = services_deviations.deviation_report(
        by=boss,
        unit=unit,
        organisation=world.police,
        occurred_on=today,
        what_happened=B_TEXTS["deviation"],
        case=identified,
    )
    return {
        "group": group,
        "group_member": group_member,
        "contact": contact,
        "agreement": agreement,
        "meeting": meeting,
        "case_meeting": case_meeting,
        "case_item": case_item,
        "general_item": general_item,
        "task": Task.objects.get(item=case_item),
        "deviation": deviation,
        "feed": meeting_services.feed_create(user=boss),
    }


def b_casework(world, identified: Case, enrolled: Case) -> dict:
    """An action plan with a measure on the enrolled case; an enquiry, a placement and a
    failure review on the identified case; a returnee without a case."""
    boss, today = world.supervisor, timezone.localdate()
    plan = plan_services.plan_save(
        case=enrolled,
        by=world.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott",
        goals=[
            {
                "life_area": inv.unit_life_areas(enrolled).first(),
                "goal": "Inga nya brott",
                "target": "Inom ett halvår",
                "measured_by": "Samtal varje månad",
            }
        ],
        measures=[
            {
                "goal": 0,
                "what": B_TEXTS["measure"],
                "due_on": today + timedelta(days=30),
                "responsible_staff": world.coordinator,
            }
        ],
    )
    return {
        "measure": plan.measures.get(),
        "enquiry": services_economy.debt_enquiry_create(
            case=identified, by=boss, reply_address="Socialtjänsten Beta"
        ),
        "placement": services_economy.placement_save(
            case=identified,
            by=boss,
            kind=Placement.Kind.HVB,
            provider=B_TEXTS["placement"],
            starts_on=today - timedelta(days=30),
            ends_on=None,
            daily_cost=Decimal("3500"),
        ),
        "review": services_reviews.failure_review_save(
            case=identified,
            by=boss,
            trigger=FailureReview.Trigger.BREAKDOWN,
            opened_on=today,
            convened=B_TEXTS["review"],
        ),
        "returnee": services_returnees.returnee_save(
            unit=world.unit,
            by=boss,
            kind=Returnee.Kind.SIS,
            name=B_TEXTS["returnee"],
            age=17,
            institution="Snöbacka ungdomshem",
            expected_on=today + timedelta(days=20),
        ),
    }


def b_staff_safety(unit_b, secrets: BSecrets) -> None:
    unit = unit_b.unit
    staffsafety_services.unit_copy_template_items(unit=unit)
    secrets.safety_talk = staffsafety_services.talk_create(
        unit=unit,
        by=unit_b.supervisor,
        employee=unit_b.coordinator,
        held_on=timezone.localdate(),
        manager=unit_b.supervisor,
        notes=B_TEXTS["safety_talk"],
        items=[
            {"item": item, "gone_through": True, "comment": ""}
            for item in staffsafety_selectors.checklist_items(unit.pk)
        ],
    )
    secrets.competence_of = unit_b.coordinator
    item = CompetenceItem.objects.filter(unit=unit).first()
    staffsafety_services.competence_save(
        unit=unit,
        coordinator=unit_b.coordinator,
        by=unit_b.supervisor,
        rows=[{"item": item, "met_on": None, "note": B_TEXTS["competence"]}],
    )


@pytest.fixture
def b_secrets(unit_b, login) -> BSecrets:
    unit_b.unit.case_prefix = B_PREFIX
    unit_b.unit.save()
    person = unit_b.person(
        first="Hjalmar",
        last="Östergyllen",
        birth=date(2008, 7, 21),
        serial=456,
        street_address="Kvarnbacken 7",
        phone="070-1234567",
        email="hjalmar@example.org",
    )
    guardian = Guardian.objects.create(person=person, name="Greta Vinterlund", phone="070-7654321")
    identified = unit_b.case(
        person=person,
        intake_basis="Misstänkt för rån vid Kvarnbyskolan",
        source_detail="Närpolis Vinterby",
    )
    deidentified = unit_b.case(age=17, intake_basis="Orosanmälan från fritidsgården Snöret")
    # The group: B's police officer is a member but no valid consent covers the police, so
    # even B's partner must not see the case; a coach without an account is named in it.
    boss = unit_b.supervisor
    members = [
        consent_services.member_add_user(
            case=identified, by=boss, user=unit_b.partner, organisation=unit_b.police
        ),
        consent_services.member_add_external(
            case=identified, by=boss, name="Sixten Klöverhage", function="Fotbollstränare"
        ),
    ]
    today = timezone.localdate()
    consent = consent_services.consent_create(
        case=identified,
        by=boss,
        organisations=[unit_b.school],
        categories=InformationCategory.objects.filter(
            unit=unit_b.unit, code__in=["health", "criminality"]
        ),
        place="Vinterby",
        signed_on=today,
        valid_from=today,
        valid_until=today + timedelta(days=180),
        officer_name="Handläggare Beta",
        officer_phone="08-123456",
        officer_organisation=unit_b.social,
        person_signed=True,
    )
    disclosure = consent_services.disclosure_record(
        case=identified,
        by=boss,
        information="Uppgift om skolfrånvaro vid Kvarnbyskolan",
        to_organisation=unit_b.police,
        disclosed_on=today,
        legal_basis=LegalReference.objects.get(unit=unit_b.unit, kind="disclosure"),
    )
    records = b_records(unit_b, identified)
    enrolled, decision_records = b_enrolled_case(unit_b)
    secrets = BSecrets(
        person=person,
        guardian=guardian,
        identified=identified,
        deidentified=deidentified,
        consent=consent,
        members=members,
        disclosure=disclosure,
        enrolled=enrolled,
        records=records + decision_records,
        **b_collaboration(unit_b, identified, enrolled),
        **b_casework(unit_b, identified, enrolled),
    )
    assert {type(record) for record in secrets.records} == set(RECORD_MODELS)
    b_staff_safety(unit_b, secrets)
    # B's own staff work on the cases first, so that the access log has entries about them.
    client = login(unit_b.supervisor)
    for url in (
        *(reverse("case_detail", args=[case.pk]) for case in secrets.cases),
        *(reverse("person_detail", args=[p.pk]) for p in secrets.people),
        reverse("case_list") + "?q=Östergyllen",
    ):
        assert client.get(url).status_code == 200
    client.logout()
    secrets.log_entry = AccessLogEntry.objects.filter(case_id=identified.pk).latest("pk")
    return secrets


@pytest.fixture
def a_case(unit_a) -> Case:
    """Unit A has a case of its own, so A's pages are not simply empty."""
    person = unit_a.person(first="Astrid", last="Alfasson", birth=date(2007, 2, 3), serial=234)
    return unit_a.case(person=person)


# --- Building every page's URL ----------------------------------------------------------------

_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


RECORD_PARAMS = ("record_pk", "decision_pk")


def _objects(route: str, name: str, b: BSecrets) -> list[models.Model]:
    """B's objects a route's argument (other than `pk`) names; fails for an unknown one."""
    if name in RECORD_PARAMS:
        segment = route.split("/")[2]  # arenden/<int:pk>/<segment>/...
        assert segment in RECORD_SEGMENTS, f"{route}: add the record's model to RECORD_SEGMENTS"
        return [b.record(RECORD_SEGMENTS[segment])]
    if name == "member_pk":
        return b.members if route.startswith("arenden/") else [b.group_member]
    assert name in OBJECT_ARGUMENTS, f"{route}: add B's object for <{name}> to OBJECT_ARGUMENTS"
    return [getattr(b, attribute) for attribute in OBJECT_ARGUMENTS[name]]


def _owner_pk(route: str, obj: models.Model) -> int:
    """The case (or, under personer/, the person) an object of a route belongs to."""
    if route.startswith("personer/"):
        return obj.person_id
    if isinstance(obj, PlanMeasure):
        return obj.plan.case_id
    return obj.case_id


def _values(route: str, name: str, converter: str, b: BSecrets) -> list[str]:
    if converter == "slug":
        # A lifecycle move: one the table allows from intake, and one it never allows.
        return [State.INVESTIGATION.value, State.DISCHARGED.value]
    if name == "token":
        # The calendar feed: the real token is no outsider's to have (see the feed's own test).
        return [token_source.token_urlsafe(32)]
    assert converter in ("int", None), f"{route}: what value does <{converter}:{name}> take?"
    params = [m["name"] for m in _PARAM.finditer(route) if m["converter"] != "slug"]
    if name == "meeting_pk" and "item_pk" in params:
        return [str(b.meeting.pk)]  # the items' meeting; under another it is a plain 404
    if name != "pk":
        return [str(obj.pk) for obj in _objects(route, name, b)]
    if route.startswith("atervandare/"):
        return [str(b.returnee.pk)]
    assert route.startswith(("arenden/", "personer/")), f"{route}: which of B's objects is <pk>?"
    others = [other for other in params if other != "pk"]
    if others:
        # The case or person the route's object belongs to: under another it is a plain 404.
        owners = {_owner_pk(route, obj) for other in others for obj in _objects(route, other, b)}
        return [str(pk) for pk in sorted(owners)]
    owners = b.cases if route.startswith("arenden/") else b.people
    if len(_PARAM.findall(route)) > 1:
        owners = owners[:1]  # lifecycle moves (with a slug): the identified case
    return [str(owner.pk) for owner in owners]


@dataclass(frozen=True)
class Page:
    url: str
    route: str
    about_b: bool  # built with an argument naming one of B's objects


def page_urls(b: BSecrets) -> list[Page]:
    """Every non-admin route, with B's objects for its arguments."""
    pages = []
    for route in _routes(get_resolver().url_patterns):
        params = list(_PARAM.finditer(route))
        choices = [_values(route, m["name"], m["converter"], b) for m in params]
        for combo in itertools.product(*choices):
            values = iter(combo)
            url = "/" + _PARAM.sub(lambda _m, values=values: next(values), route)
            pages.append(Page(url, route, bool(params)))
    return pages


def body_of(response) -> str:
    """The response as text: a PDF's text and metadata (title, author), a calendar file with
    its lines unfolded."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind.startswith("application/pdf") and response.status_code == 200:
        pdf = PdfReader(BytesIO(content))
        text = [page.extract_text() or "" for page in pdf.pages]
        text += [str(value) for value in (pdf.metadata or {}).values()]
        return " ".join(" ".join(text).split())
    body = content.decode("utf-8", errors="replace")
    if kind.startswith("text/calendar"):
        body = body.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")
    return body


def assert_no_b_data(body: str, secrets: set[str], where: str, echoed: str = "") -> None:
    if echoed:
        for form in (quote_plus(echoed), quote(echoed), escape(echoed), echoed):
            body = body.replace(form, "")
    leaked = sorted(s for s in secrets if s and s in body)
    assert not leaked, f"{where}: unit B data in the response: {leaked}"


def b_state(b: BSecrets) -> dict:
    """Everything an outsider's POST could have changed in B."""
    unit = b.identified.unit_id
    return {
        "cases": list(
            Case.objects.filter(unit_id=unit)
            .order_by("pk")
            .values_list("pk", "state", "person_id", "coordinator_id", "investigator_id")
        ),
        "moves": CaseTransition.objects.filter(case__unit_id=unit).count(),
        "people": list(Person.objects.filter(unit_id=unit).order_by("pk").values()),
        "guardians": list(Guardian.objects.filter(person__unit_id=unit).values_list("pk", "name")),
        "consents": list(
            Consent.objects.filter(case__unit_id=unit).values_list("pk", "revoked_on", "scan")
        ),
        "members": list(
            CaseMember.objects.filter(case__unit_id=unit).values_list("pk", "removed_at")
        ),
        "disclosures": Disclosure.objects.filter(case__unit_id=unit).count(),
        # Records: a new version, a superseded one or a new decision all show here.
        **{
            model.__name__: list(model.objects.filter(case__unit_id=unit).order_by("pk").values())
            for model in RECORD_MODELS
        },
        "ThreatMeasure": list(
            ThreatMeasure.objects.filter(assessment__case__unit_id=unit).order_by("pk").values()
        ),
        **{
            model.__name__: list(model.objects.filter(**{path: unit}).order_by("pk").values())
            for model, path in UNIT_PATHS.items()
        },
        "feeds": list(CalendarFeed.objects.filter(user=b.feed.user).values()),
    }


# B's other tables, each with the lookup from a row to its unit.
UNIT_PATHS = {
    Group: "unit",
    GroupMember: "group__unit",
    Contact: "unit",
    Agreement: "unit",
    DistrictChecklist: "unit",
    Meeting: "unit",
    Invitation: "meeting__unit",
    AgendaItem: "meeting__unit",
    Task: "meeting__unit",
    Deviation: "unit",
    ActionPlan: "case__unit",
    PlanGoal: "plan__case__unit",
    PlanMeasure: "plan__case__unit",
    PlanRevision: "plan__case__unit",
    MeasureReport: "measure__plan__case__unit",
    PlanFollowUp: "plan__case__unit",
    GoalResult: "follow_up__plan__case__unit",
    CasePracticalMatter: "case__unit",
    DebtEnquiry: "case__unit",
    Debt: "enquiry__case__unit",
    Placement: "case__unit",
    FailureReview: "case__unit",
    FailureReviewDecision: "review__case__unit",
    Returnee: "unit",
    AccessLogFlag: "entry__unit_id",
}


# Management forms of the formsets, with no rows: the forms validate without them.
FORMSET_PREFIXES = (
    *("items", "people", "measures", "rating", "extra"),
    *("goals", "tasks", "external", "debts", "decisions"),
)
# Choices named `kind` or `status` differ from form to form: by the URL's path.
KINDS = {
    "/samverkan/grupper/": Group.Kind.PREPARATION,
    "/samverkan/overenskommelser/": Agreement.Kind.AGREEMENT,
    "/placeringar/": Placement.Kind.HVB,
    "/atervandare/": Returnee.Kind.SIS,
}


def post_data(b: BSecrets, url: str) -> dict:
    """One POST body that would satisfy most of the forms, were the outsider let through."""
    today = timezone.localdate().isoformat()
    data = {
        "reason": "Utomstående försöker",
        "first_name": "Inkräktare",
        "last_name": "Utifrån",
        "birth_date": "2009-01-01",
        "name": "Inkräktare Utifrån",
        "person": b.person.pk,
        "revoked_on": today,
        "how": "muntligt",
        "information": "Utomstående uppgift",
        "disclosed_on": today,
        "to_organisation": b.disclosure.to_organisation_id,
        "legal_basis": b.disclosure.legal_basis_id,
        # Investigation, risk and decision forms.
        "assessed_on": today,
        "note": "Utomstående anteckning",
        "letter": inv.current_letter(b.identified.unit_id).pk,
        "handed_over_on": today,
        "handed_over_by": b.identified.coordinator_id,
        "outcome": "no",  # a decision: decline (which would close the case)
        "reasoning": "Utomstående motivering",
        "volume": CriminalityProfile.Volume.FEW,
        "level": ThreatLevel.LOW,
        "description": "Utomstående hotbild",
        "summary": b.record(RiskAssessment).instrument.summary_scale[0],
        "summary_reasons": "Utomstående skäl",
        "decided_on": today,
        "reasons": "Utomstående beslut",
        "occupation": "none",
        "housing": "own",
        "substance_use": "none",
        "criminal_network": "none",
        "income": "none",
        # Collaboration: groups, members, contacts, agreements.
        "rhythm_days": 30,
        "active": "on",
        "organisation": b.contact.organisation_id,
        "email": "inkraktare@example.org",
        "function": "Utomstående",
        "phone": "070-0000000",
        "last_reviewed_on": today,
        "title": "Utomstående rubrik",
        "parties": "Utomstående part",
        "dated_on": today,
        "review_on": (timezone.localdate() + timedelta(days=365)).isoformat(),
        # Meetings, the agenda, minutes and deviations.
        "date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "start_time": "09:00",
        "end_time": "10:00",
        "place": "Utomstående plats",
        "convener": b.meeting.convener_id,
        "attended": list(b.meeting.invitations.values_list("pk", flat=True)),
        "case": b.identified.pk,
        "preparation": "Utomstående underlag",
        "minutes": "Utomstående protokoll",
        "punkt_id": "allman",  # meeting mode: the general minutes
        "riktning": "upp",
        "to_status": Deviation.Status.ANALYSED,
        "analysis": "Utomstående analys",
        # Plans and casework.
        "revision": b.measure.plan.revision,
        "main_goal": "Utomstående huvudmål",
        "status": "draft",
        "held_on": today,
        "mal-0-goal": b.measure.goal_id,  # a follow-up: one row per open goal
        "mal-0-result": GoalResult.Result.PARTLY,
        "reply_address": "Utomstående adress",
        "sent_on": today,
        "answered_on": today,
        "no_debts": "on",
        "provider": "Utomstående utförare",
        "starts_on": today,
        "daily_cost": "1000",
        "trigger": FailureReview.Trigger.OTHER,
        "opened_on": today,
        "convened": "Utomstående nätverk",
        "age": 17,
        "institution": "Utomstående institution",
        "expected_on": today,
        **{  # the practical matters: one row per matter of the unit's list
            f"fragor-{index}-{field}": value
            for index, row in enumerate(services_practical.checklist(b.identified))
            for field, value in (("matter", row.matter.pk), ("done", "on"), ("done_on", today))
        },
        **{
            f"omraden-{index}-life_area": area.pk
            for index, area in enumerate(inv.unit_life_areas(b.identified))
        },
        **{
            f"{prefix}-{count}": 0
            for prefix in FORMSET_PREFIXES
            for count in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    if "/polisbedomning/" in url:
        data["outcome"] = PoliceAssessment.Outcome.SUITABLE
    data["kind"] = next((kind for path, kind in KINDS.items() if path in url), "")
    if "/rapport/" in url:  # a progress report on a measure
        data["status"] = PlanMeasure.Status.ONGOING
    if "/atervandare/" in url:  # a returnee without a case: the name only
        data["case"] = ""
    return data


OUTSIDERS = [
    ("a", "coordinator"),
    ("a", "supervisor"),  # also reviews A's access log
    ("a", "partner"),
    ("a", "leadership"),
    ("a", "analyst"),
    ("a", "administrator"),
    ("b", "partner"),  # B's police: a member of the group, but no consent covers the police
    ("b", "leadership"),  # sees de-identified statistics only, even in its own unit
]


POSTERS = {("a", "supervisor"), ("b", "partner")}


def _outsider(request, unit_name: str, role: str) -> User:
    return getattr(request.getfixturevalue(f"unit_{unit_name}"), role)


@pytest.mark.parametrize(("unit_name", "role"), OUTSIDERS, ids=[f"{u}-{r}" for u, r in OUTSIDERS])
def test_outsider_sees_no_b_data_on_any_page(request, b_secrets, a_case, login, unit_name, role):
    client = login(_outsider(request, unit_name, role))
    secrets = b_secrets.strings()
    pages = page_urls(b_secrets)
    assert len(pages) > 20  # the walk found the case and person pages
    # B's police officer is invited to B's preparation meeting: its general part is theirs too.
    invited = b_secrets.invitee_pages() if (unit_name, role) == ("b", "partner") else set()

    for page in pages:
        response = client.get(page.url)
        # Readiness answers 503 while the test database has no daily-job run; not an error.
        assert response.status_code < 500 or page.route == "halsa/redo/", page.url
        if page.url in invited:
            assert response.status_code == 200, page.url
        elif page.route == "kalender/<str:token>.ics":
            assert response.status_code == 404, page.url  # a wrong token
        elif page.about_b:
            # Not found, or POST-only (405, before anything is looked up).
            assert response.status_code in (404, 405), page.url
        assert_no_b_data(body_of(response), secrets, page.url)
    if invited:
        agenda = client.get(reverse("agenda", args=[b_secrets.meeting.pk]))
        assert GENERAL_ITEM in body_of(agenda)

    if (unit_name, role) in POSTERS:
        # POST to every page about B: nothing of B changes, whatever the form would have done.
        # (Whether a view checks before it writes does not depend on who asks, so two kinds of
        # outsider are enough here; the GETs above already cover every role's access.)
        before = b_state(b_secrets)
        for page in pages:
            if page.about_b:
                response = client.post(page.url, post_data(b_secrets, page.url))
                assert response.status_code < 500, page.url
                assert_no_b_data(body_of(response), secrets, f"POST {page.url}")
        assert b_state(b_secrets) == before

    # Lists again, now that the outsider's own denied attempts are in the access log.
    for page in pages:
        if not page.about_b:
            body = body_of(client.get(page.url))
            assert_no_b_data(body, secrets, f"{page.url} (second visit)")

    # Search and filters of the case list: B's data is neither matched nor shown.
    terms = [
        *(case.alias for case in b_secrets.cases),
        *(case.number for case in b_secrets.cases),
        B_PREFIX,
        "Ärende",
    ]
    for person in b_secrets.people:
        terms += [
            person.first_name,
            person.last_name,
            person.full_name,
            person.identity_number,
            person.formatted_number,
            person.identity_number[2:],
            f"{person.identity_number[2:8]}-{person.identity_number[8:]}",
        ]
    for term in terms:
        response = client.get(reverse("case_list"), {"q": term})
        assert response.status_code == 200
        found = response.context["page"].paginator.object_list
        assert not [case for case in found if case.unit_id == b_secrets.identified.unit_id]
        assert_no_b_data(body_of(response), secrets, f"search {term!r}", echoed=term)
    for page in ("", "?state=intake", "?sort=alias", "?sida=2"):
        response = client.get(reverse("case_list") + page)
        assert_no_b_data(body_of(response), secrets, f"case list {page}")


def test_b_staff_do_see_the_data(unit_b, b_secrets, login):
    """Positive control: B's supervisor, walking the same URLs, meets the data on some page."""
    client = login(unit_b.supervisor)
    bodies, opened = [], []
    for page in page_urls(b_secrets):
        response = client.get(page.url)
        if response.status_code == 200:
            bodies.append(body_of(response))
            opened.append(page)
    # Each kind of record or object page opened: the walk pairs every object with its owner.
    for segment in RECORD_SEGMENTS:
        assert any(re.search(rf"/{segment}/\d+/", page.url) for page in opened), segment
    post_only = {"task_pk", "entry_pk"}  # these routes take a POST only
    for name in OBJECT_ARGUMENTS.keys() - post_only:
        assert any(f":{name}>" in page.route for page in opened), name
    assert any(page.route.startswith("atervandare/<int:pk>/") for page in opened)
    for term in (*(p.full_name for p in b_secrets.people), *(c.alias for c in b_secrets.cases)):
        response = client.get(reverse("case_list"), {"q": term})
        bodies.append(body_of(response).replace(escape(term), "").replace(quote_plus(term), ""))
    seen = "\n".join(bodies)
    # The raw and 10-digit forms of the numbers are only what a user types, never shown; the
    # feed's full address is shown only once, right after it is made.
    never_shown = {b_secrets.feed.token}
    for person in b_secrets.people:
        number = person.identity_number
        never_shown |= {number, number[2:], f"{number[2:8]}-{number[8:]}"}
    missing = sorted(s for s in b_secrets.strings() - never_shown if s not in seen)
    assert not missing


def test_calendar_feed_shows_b_data_only_with_its_token(b_secrets, a_case, client, login):
    """The feed's secret address is all it takes to read it; any other token finds nothing."""
    secrets = b_secrets.strings()
    response = client.get(reverse("calendar_feed", args=[b_secrets.feed.token]))
    assert response.status_code == 200
    body = body_of(response)
    # B's supervisor's meetings: the preparation meeting, and the enrolled case's by its alias.
    assert b_secrets.meeting.title in body
    assert b_secrets.enrolled.alias in body
    assert GENERAL_ITEM in body

    wrong = reverse("calendar_feed", args=[token_source.token_urlsafe(32)])
    for user in (None, b_secrets.feed.user):
        if user is not None:
            login(user)  # being signed in as the feed's owner does not open a wrong address
        response = client.get(wrong)
        assert response.status_code == 404
        assert_no_b_data(body_of(response), secrets, wrong)

    meeting_services.feed_revoke(feed=b_secrets.feed, by=b_secrets.feed.user)
    assert client.get(reverse("calendar_feed", args=[b_secrets.feed.token])).status_code == 404


def test_superuser_admin_pages_show_no_case_content(b_secrets, a_case, client):
    """The admin is configuration only: even a superuser finds no person or case data there."""
    admin = User.objects.create_superuser("root", "root@example.org", "test-password-123")
    client.force_login(admin)
    secrets = b_secrets.strings()
    urls = [reverse("admin:index"), reverse("start"), reverse("case_list")]
    for model in admin_site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_b_data(body_of(response), secrets, url)
    for case in b_secrets.cases:
        assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("person_detail", args=[b_secrets.person.pk])).status_code == 404


def test_the_analysts_export_of_b_holds_no_b_data(unit_a, unit_b, b_secrets, login, settings):
    """The URL walk only GETs the export form; here B's own analyst downloads both files of B,
    which must hold none of B's personal data, and A's analyst cannot ask for B at all."""
    from openpyxl import load_workbook

    settings.STATISTICS_MIN_CELL = 3  # B has three cases: enough to export at all
    secrets = b_secrets.strings()
    year = timezone.localdate().year
    data = {"enhet": unit_b.unit.pk, "period": "year", "year": year}
    client = login(unit_b.analyst)
    csv_file = client.post(reverse("statistics_export"), {**data, "format": "csv"})
    assert "attachment" in csv_file["Content-Disposition"]
    assert_no_b_data(b"".join(csv_file.streaming_content).decode("utf-8-sig"), secrets, "CSV")
    xlsx_file = client.post(reverse("statistics_export"), {**data, "format": "xlsx"})
    content = b"".join(xlsx_file.streaming_content)
    workbook = load_workbook(BytesIO(content), read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert len(cells) > 50
    assert_no_b_data("\n".join(cells), secrets, "XLSX")

    refused = login(unit_a.analyst).post(reverse("statistics_export"), {**data, "format": "csv"})
    assert refused.status_code == 200 and "Content-Disposition" not in refused
    assert_no_b_data(refused.content.decode(), secrets, "A's analyst asking for B")
