"""A large fictional data set for performance work (issue #7: dashboards under 500 ms at
290 units and 100 000 cases).

Rows are written in batches instead of through the services (bulk_create on SQLite, COPY on
PostgreSQL, see `insert`): the services log, lock and check one object at a time, which would
take hours at this size. What the
services guarantee is kept by construction instead: every case's state is the end of a walk
through the lifecycle table, each step a CaseTransition with its time and a user who may take
it; decisions are made by a supervisor with delegation who is neither coordinator nor
investigator; related rows (people, consents, plans, meetings, deviations) stay in the case's
own unit; the access log is chained onto the existing head so `verify_access_log` still holds.

Deterministic for a given seed and `now`. Every name, number and address is made up:
personnummer get a valid check digit for birth dates and serials drawn here; phone numbers
are from the range reserved for fiction (070-174 06 05–99); e-mail domains end in `.invalid`.
"""

import json
import operator
import random
import time as clock
import uuid
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from insats.access import log as access_log
from insats.access.models import AccessLogEntry, AccessLogHead
from insats.cases.lifecycle import CLOSED_STATES, State
from insats.cases.models import Case, CaseMember, CaseTransition, Source
from insats.cases.services import format_alias
from insats.casework.models import Placement
from insats.consent.models import Consent
from insats.decisions.models import CaseDecision, FollowUpAssessment, FollowUpRating
from insats.decisions.services import default_review_on
from insats.investigation.models import (
    Inventory,
    PoliceAssessment,
    ThreatAssessment,
    ThreatLevel,
    ThreatMeasure,
)
from insats.meetings.models import (
    AgendaItem,
    Agreement,
    Contact,
    Deviation,
    DistrictChecklist,
    Group,
    GroupMember,
    Invitation,
    Meeting,
    Task,
)
from insats.organisations.models import (
    DischargeReason,
    InformationCategory,
    LegalReference,
    LifeArea,
    Membership,
    Organisation,
    Role,
    User,
)
from insats.organisations.services import unit_create
from insats.people.models import Guardian, Person
from insats.people.personnummer import luhn_check_digit
from insats.plans.models import (
    ActionPlan,
    GoalResult,
    PlanFollowUp,
    PlanGoal,
    PlanMeasure,
    PlanRevision,
)

LOAD_PASSWORD = "load-insats"  # noqa: S105 - fictional load-test logins only
USER_PREFIX = "last-"
UNIT_PREFIX = "Lastenhet "
BATCH_SIZE = 5000
UNITS_PER_CHUNK = 10
YEARS_BACK = 4


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Alva Elis Noah Saga Liam Wilma Hugo Ines Otto Tuva Milo Nora Adam Ebba Leon Vera Sam "
    "Lova Isak Alma Theo Stella Kian Maja Omar Juni Elvin Selma Amir Tilde Nils Ester "
    "Melvin Signe"
)
SURNAME_HEADS = _words("Ask Björk Ek Gran Hassel Lind Rönn Sälg Al Lönn Asp Alm Sjö Fjäll Mo Dal")
SURNAME_TAILS = _words("dal mark vik strand berg lund holm näs by hed ström sten myr gård")
STREETS = ("Påhittegatan", "Exempelvägen", "Lastallén", "Testgränd", "Fiktivstigen", "Låtsasvägen")
PROVIDERS = {
    Placement.Kind.SIS: ("SiS ungdomshem Exempelby", Decimal("10750.00")),
    Placement.Kind.HVB: ("HVB Påhittegården", Decimal("4800.00")),
    Placement.Kind.FAMILY_HOME: ("Familjehem via Exempelstiftelsen", Decimal("1650.00")),
    Placement.Kind.SUPPORTED_HOUSING: ("Stödboende Lastgatan", Decimal("1900.00")),
}
SOURCES = (
    (Source.POLICE, 40),
    (Source.MUNICIPAL, 25),
    (Source.SELF, 15),
    (Source.OTHER_ACTOR, 10),
    (Source.RETURNEE, 10),
)
THREAT_LEVELS = (
    (ThreatLevel.NONE, 35),
    (ThreatLevel.LOW, 30),
    (ThreatLevel.MODERATE, 22),
    (ThreatLevel.HIGH, 13),
)
# Who takes each step (the lifecycle table's roles); decisions are the supervisor's.
STEP_ROLE = {
    State.INVESTIGATION: "coordinator",
    State.DECISION: "investigator",
    State.ASSIGNMENT: "decider",
    State.DECLINED: "decider",
    State.IMPLEMENTATION: "coordinator",
    State.FOLLOW_UP: "coordinator",
    State.DISCHARGED: "coordinator",
    State.WITHDRAWN: "coordinator",
}
STEP_REASON = {
    State.INVESTIGATION: "Utredning inleds efter samtal med den unge.",
    State.DECISION: "Utredningen är klar och lämnas för beslut.",
    State.ASSIGNMENT: "Beslut om insats enligt utredningen.",
    State.DECLINED: "Beslut om avslag; behovet tillgodoses på annat sätt.",
    State.IMPLEMENTATION: "Uppdraget är utformat och genomförandet startar.",
    State.FOLLOW_UP: "Planen följs upp med gruppen.",
    State.DISCHARGED: "Insatsen avslutas.",
    State.WITHDRAWN: "Den unge avstår från fortsatt kontakt.",
}


# Moves back to an earlier step; a case takes at most two of them.
LOOPS = {(State.DECISION, State.INVESTIGATION), (State.FOLLOW_UP, State.IMPLEMENTATION)}


class LoadDataExists(Exception):
    """Load data is already in the database; a second batch would collide on names."""


def noon(day: date) -> datetime:
    """A fixed 'now' on the given day, for reproducible runs."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


def load_data_exists() -> bool:
    return User.objects.filter(username__startswith=USER_PREFIX).exists()


@contextmanager
def explicit_timestamps(*models):
    """auto_now/auto_now_add would stamp every backdated row with the moment of insertion;
    switch them off while generated rows carry their own times, and back on afterwards.

    This changes the fields for the whole process: fine in a management command or a test,
    never inside a running web server.
    """
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


TIMESTAMPED = (
    Case,
    CaseTransition,
    CaseMember,
    Person,
    Consent,
    CaseDecision,
    ActionPlan,
    PlanRevision,
    PlanFollowUp,
    Placement,
    GroupMember,
    Meeting,
    AgendaItem,
    Task,
    Deviation,
    DistrictChecklist,
)


@dataclass
class UnitStaff:
    unit: object
    social: Organisation
    police: Organisation
    school: Organisation
    leisure: Organisation
    coordinators: list
    investigators: list
    supervisors: list  # every one has may_decide
    leadership: object
    analyst: object
    police_partner: object
    school_partner: object
    life_areas: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    discharge_reasons: list = field(default_factory=list)
    support_reference: object = None
    groups: dict = field(default_factory=dict)
    group_members: dict = field(default_factory=dict)


@dataclass
class CaseDraft:
    """A case while its rows are generated: the lifecycle walk and the people involved."""

    case: Case
    moves: list  # (from_state, to_state, at)
    person: Person | None
    staff: UnitStaff

    def reached(self, state: str) -> datetime | None:
        for _from, to, at in self.moves:
            if to == state:
                return at
        return None

    @property
    def end(self) -> datetime | None:
        """When the case closed, None while it is open."""
        return self.moves[-1][2] if self.case.state in CLOSED_STATES else None


class Generator:
    def __init__(
        self,
        *,
        units: int,
        cases: int,
        seed: int = 1,
        now: datetime | None = None,
        batch_size: int = BATCH_SIZE,
        out: Callable[[str], None] = print,
    ):
        self.n_units, self.n_cases, self.batch_size, self.out = units, cases, batch_size, out
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.start = self.now - timedelta(days=365 * YEARS_BACK)
        self.counts: Counter = Counter()
        self.log_rows: list[tuple] = []
        self.password = make_password(LOAD_PASSWORD)  # hashed once, shared by every user
        self.pending: dict = defaultdict(list)
        self.used_numbers: set[tuple[int, str]] = set()
        self.guardians: dict[int, Guardian] = {}  # id(person) -> the guardian who signs

    # --- helpers ---------------------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def at_on(self, day: date, hour_from: int = 8, hour_to: int = 16) -> datetime:
        naive = datetime(day.year, day.month, day.day, self.rng.randint(hour_from, hour_to))
        aware = timezone.make_aware(naive + timedelta(minutes=self.rng.randint(0, 59)))
        return min(aware, self.now)

    def later(self, at: datetime, low: int, high: int) -> datetime:
        return at + timedelta(days=self.rng.randint(low, high), minutes=self.rng.randint(0, 300))

    def weighted(self, pairs):
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights)[0]

    def surname(self) -> str:
        return self.rng.choice(SURNAME_HEADS) + self.rng.choice(SURNAME_TAILS)

    def phone(self) -> str:
        return f"070-174 06 {self.rng.randint(5, 99):02d}"

    def add(self, obj):
        self.pending[type(obj)].append(obj)
        return obj

    def flush(self, *models) -> None:
        for model in models:
            rows = self.pending.pop(model, [])
            if rows:
                insert(model, rows, self.batch_size)
                self.counts[model._meta.label] += len(rows)

    def log(self, at, user, unit_id, case, action, object_type, object_id="", detail="", role=""):
        """Remember an access-log row; the chain is computed once all rows are known."""
        self.log_rows.append(
            (
                at,
                user.pk,
                user.username,
                unit_id,
                case.pk if case is not None else None,
                case.person_id if case is not None else None,
                action,
                object_type,
                str(object_id),
                f"role:{role}@unit:{unit_id}" if role else "",
                detail,
            )
        )

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> Counter:
        if load_data_exists():
            raise LoadDataExists("load data already exists")
        began = clock.monotonic()
        with transaction.atomic(), explicit_timestamps(*TIMESTAMPED):
            per_unit = self.spread_cases()
            central = self.central_users()
            done = 0
            for first in range(0, self.n_units, UNITS_PER_CHUNK):
                numbers = range(first + 1, min(first + UNITS_PER_CHUNK, self.n_units) + 1)
                staffs = [self.make_unit(i, central) for i in numbers]
                self.flush(Membership)
                for staff, i in zip(staffs, numbers, strict=True):
                    self.make_cases(staff, per_unit[i - 1])
                    done += per_unit[i - 1]
                self.write_chunk()
                self.out(
                    f"units {numbers[-1]}/{self.n_units}, cases {done}/{self.n_cases}, "
                    f"{clock.monotonic() - began:.0f} s"
                )
            self.write_access_log()
        self.out(f"done in {clock.monotonic() - began:.0f} s")
        return self.counts

    def spread_cases(self) -> list[int]:
        """Cases per unit: uneven like real districts, summing to exactly the total."""
        weights = [self.rng.uniform(0.4, 1.8) for _ in range(self.n_units)]
        total = sum(weights)
        shares = [self.n_cases * w / total for w in weights]
        counts = [int(s) for s in shares]
        by_remainder = sorted(range(self.n_units), key=lambda i: counts[i] - shares[i])
        for i in by_remainder[: self.n_cases - sum(counts)]:
            counts[i] += 1
        return counts

    def user(self, username: str, first: str, last: str) -> User:
        return User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@last.invalid",
            password=self.password,
            date_joined=self.start,
        )

    def central_users(self) -> list[tuple[User, str]]:
        """Leadership and an analyst who see every unit: the heaviest statistics readers."""
        users = [
            (self.user(f"{USER_PREFIX}alla-ledning", "Lea", "Centralsson"), Role.LEADERSHIP),
            (self.user(f"{USER_PREFIX}alla-analytiker", "Ali", "Centraldotter"), Role.ANALYST),
        ]
        User.objects.bulk_create([u for u, _ in users])
        self.counts[User._meta.label] += len(users)
        return users

    def make_unit(self, i: int, central) -> UnitStaff:
        rng, code = self.rng, f"u{i:04d}"
        name = f"{UNIT_PREFIX}{i:04d}"
        unit = unit_create(
            name=name,
            municipality=f"Lastkommun {i:04d}",
            case_prefix=f"L{i:04d}",
            target_age_min=rng.choice((12, 15, 15, 19)),
            target_age_max=rng.choice((21, 25, 25, 29)),
        )
        self.counts["organisations.Unit"] += 1
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(unit=unit, name=f"Socialtjänsten {name}", kind="social_services"),
                Organisation(unit=unit, name=f"Polisen {name}", kind="police"),
                Organisation(unit=unit, name=f"Skolan {name}", kind="school"),
                Organisation(unit=unit, name=f"Fritid {name}", kind="leisure"),
            ]
        )
        self.counts[Organisation._meta.label] += len(orgs)
        social, police, school, leisure = orgs
        plan = (
            [("lots", Role.COORDINATOR, social)] * rng.randint(3, 6)
            + [("utr", Role.INVESTIGATOR, social)] * rng.randint(1, 3)
            + [("chef", Role.SUPERVISOR, social)] * rng.randint(1, 2)
            + [("ledning", Role.LEADERSHIP, social), ("analytiker", Role.ANALYST, social)]
            + [("polis", Role.PARTNER, police), ("skola", Role.PARTNER, school)]
        )
        seen: Counter = Counter()
        made = []
        for prefix, role, organisation in plan:
            seen[prefix] += 1
            username = f"{USER_PREFIX}{code}-{prefix}{seen[prefix]}"
            user = self.user(username, rng.choice(FIRST_NAMES), self.surname())
            made.append((user, role, organisation))
        User.objects.bulk_create([u for u, _, _ in made])
        self.counts[User._meta.label] += len(made)
        for user, role, org in made:
            self.add(
                new(
                    Membership,
                    user=user,
                    organisation=org,
                    role=role,
                    may_decide=role == Role.SUPERVISOR,
                    function=str(role.label),
                )
            )
        for user, role in central:
            self.add(new(Membership, user=user, organisation=social, role=role, function="Central"))
        by_role = defaultdict(list)
        for user, role, _org in made:
            by_role[role].append(user)
        staff = UnitStaff(
            unit=unit,
            social=social,
            police=police,
            school=school,
            leisure=leisure,
            coordinators=by_role[Role.COORDINATOR],
            investigators=by_role[Role.INVESTIGATOR],
            supervisors=by_role[Role.SUPERVISOR],
            leadership=by_role[Role.LEADERSHIP][0],
            analyst=by_role[Role.ANALYST][0],
            police_partner=by_role[Role.PARTNER][0],
            school_partner=by_role[Role.PARTNER][1],
            life_areas=list(LifeArea.objects.filter(unit=unit).order_by("position")),
            categories=list(InformationCategory.objects.filter(unit=unit).order_by("position")),
            discharge_reasons=list(DischargeReason.objects.filter(unit=unit)),
            support_reference=LegalReference.objects.filter(unit=unit, kind="support").first(),
        )
        self.make_unit_meetings(staff)
        return staff

    # --- cases -----------------------------------------------------------------------------

    def lifecycle(self, intake: datetime) -> list[tuple[str, str, datetime]]:
        """Walk the lifecycle table from intake with realistic durations, stopping at now."""
        rng, moves = self.rng, [("", State.INTAKE, intake)]
        state, at, loops = State.INTAKE, intake, 0
        while state not in CLOSED_STATES:
            r = rng.random()
            if state == State.INTAKE:
                step = (State.WITHDRAWN, 5, 40) if r < 0.08 else (State.INVESTIGATION, 1, 21)
            elif state == State.INVESTIGATION:
                step = (
                    (State.DECLINED, 15, 60)
                    if r < 0.05
                    else (State.WITHDRAWN, 10, 60)
                    if r < 0.11
                    else (State.DECISION, 20, 80)
                )
            elif state == State.DECISION:
                step = (
                    (State.INVESTIGATION, 3, 14)
                    if r < 0.05 and loops == 0
                    else (State.DECLINED, 2, 25)
                    if r < 0.2
                    else (State.ASSIGNMENT, 2, 25)
                )
            elif state == State.ASSIGNMENT:
                step = (State.DISCHARGED, 10, 60) if r < 0.03 else (State.IMPLEMENTATION, 7, 40)
            elif state == State.IMPLEMENTATION:
                step = (State.DISCHARGED, 60, 400) if r < 0.12 else (State.FOLLOW_UP, 120, 420)
            else:  # follow-up
                step = (
                    (State.IMPLEMENTATION, 20, 90)
                    if r < 0.25 and loops < 2
                    else (State.DISCHARGED, 20, 150)
                )
            target, low, high = step
            then = self.later(at, low, high)
            if then > self.now:
                break
            if (state, target) in LOOPS:
                loops += 1
            moves.append((state, target, then))
            state, at = target, then
        return moves

    def make_person(self, staff: UnitStaff, age: int, intake: datetime) -> Person:
        rng = self.rng
        birth = intake.date() - timedelta(days=365 * age + rng.randint(1, 360))
        kind, number, reserve = Person.NumberKind.PERSONNUMMER, None, ""
        r = rng.random()
        if r < 0.03:
            kind, reserve = Person.NumberKind.NONE, f"R{rng.randint(100000, 999999)}"
        else:
            day = birth.day + (60 if r < 0.06 else 0)
            if r < 0.06:
                kind = Person.NumberKind.SAMORDNINGSNUMMER
            while True:
                short = f"{birth:%y%m}{day:02d}{rng.randint(0, 999):03d}"
                number = f"{birth.year // 100}{short}{luhn_check_digit(short)}"
                if (staff.unit.pk, number) not in self.used_numbers:
                    self.used_numbers.add((staff.unit.pk, number))
                    break
        person = self.add(
            new(
                Person,
                unit=staff.unit,
                first_name=rng.choice(FIRST_NAMES),
                last_name=self.surname(),
                identity_number=number,
                number_kind=kind,
                reserve_number=reserve,
                birth_date=birth,
                street_address=f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
                postal_code=f"{rng.randint(100, 999)} {rng.randint(10, 99)}",
                city=staff.unit.municipality,
                phone=self.phone(),
                protected_identity=rng.random() < 0.04,
                created_at=intake,
                updated_at=intake,
            )
        )
        if age < 18:
            self.guardians[id(person)] = self.add(
                new(
                    Guardian,
                    person=person,
                    name=f"{rng.choice(FIRST_NAMES)} {person.last_name}",
                    relation="Förälder",
                    phone=self.phone(),
                )
            )
        return person

    def make_cases(self, staff: UnitStaff, count: int) -> None:
        rng, unit = self.rng, staff.unit
        span = (self.now - self.start).total_seconds()
        # Slightly more intakes in recent years, as the work grows.
        intakes = sorted(
            self.now - timedelta(seconds=span * rng.random() ** 1.15) for _ in range(count)
        )
        sequence: Counter = Counter()
        drafts = []
        for intake in intakes:
            moves = self.lifecycle(intake)
            state = moves[-1][1]
            reached = {to for _from, to, _at in moves}
            age = min(29, max(12, round(rng.triangular(12, 29, 16))))
            identified = not (
                (state == State.INTAKE and rng.random() < 0.4)
                or (state == State.WITHDRAWN and len(moves) == 2 and rng.random() < 0.5)
            )
            person = self.make_person(staff, age, intake) if identified else None
            year = timezone.localtime(intake).year
            sequence[year] += 1
            source = self.weighted(SOURCES)
            coordinator = rng.choice(staff.coordinators)
            has_coordinator = state != State.INTAKE or rng.random() < 0.4
            investigator = (
                rng.choice(staff.investigators) if State.INVESTIGATION in reached else None
            )
            decider = rng.choice(staff.supervisors)
            case = new(
                Case,
                unit=unit,
                year=year,
                sequence=sequence[year],
                person=person,
                age_at_intake=age,
                state=state,
                source=source,
                source_detail="Lokalpolisområdet" if source == Source.POLICE else "",
                intake_basis=(
                    "Misstänkt för upprepade stölder och narkotikabrott senaste halvåret."
                    if source == Source.POLICE
                    else ""
                ),
                age_at_first_offence=(
                    max(10, age - rng.randint(1, 5)) if source == Source.POLICE else None
                ),
                received_by=rng.choice(staff.coordinators + staff.investigators),
                coordinator=coordinator if has_coordinator else None,
                investigator=investigator,
                decision_maker=decider if reached & {State.ASSIGNMENT, State.DECLINED} else None,
                discharge_reason=(
                    rng.choice(staff.discharge_reasons) if state == State.DISCHARGED else None
                ),
                created_at=intake,
                updated_at=moves[-1][2],
            )
            case.alias = format_alias(case.number, age)
            self.add(case)
            drafts.append(CaseDraft(case, moves, person, staff))
        self.flush(Person, Guardian, Case)
        for draft in drafts:
            self.case_rows(draft, decider_of(draft))
        self.case_meetings(staff, drafts)

    def case_rows(self, d: CaseDraft, decider) -> None:
        rng, case, staff, unit_id = self.rng, d.case, d.staff, d.staff.unit.pk
        coordinator = case.coordinator or staff.coordinators[0]
        actors = {
            "coordinator": coordinator,
            "investigator": case.investigator or coordinator,
            "decider": decider,
        }
        for from_state, to_state, at in d.moves:
            if not from_state:
                by = case.received_by
            elif from_state == State.DECISION:  # every move out of decision is the supervisor's
                by = decider
            else:
                by = actors[STEP_ROLE[to_state]]
            discharge = to_state == State.DISCHARGED
            self.add(
                new(
                    CaseTransition,
                    case=case,
                    from_state=from_state,
                    to_state=to_state,
                    at=at,
                    by=by,
                    reason=STEP_REASON.get(to_state, "Aktualisering registrerad.")
                    if from_state
                    else "Aktualisering registrerad.",
                    discharge_reason=case.discharge_reason if discharge else None,
                    summary="Den unge har sysselsättning och inga nya brott." if discharge else "",
                )
            )
        intake = d.moves[0][2]
        receiver_role = "coordinator" if case.received_by in staff.coordinators else "investigator"
        self.log(intake, case.received_by, unit_id, case, "create", "case", case.pk, receiver_role)
        readers = (
            (coordinator, "coordinator"),
            (actors["investigator"], "investigator" if case.investigator else "coordinator"),
            (decider, "supervisor"),
        )
        for _i in range(rng.randint(1, 3)):
            reader, role = rng.choice(readers)
            seen_at = intake + (self.now - intake) * rng.random() ** 2
            self.log(seen_at, reader, unit_id, case, "view", "case", case.pk, role=role)

        investigation_at = d.reached(State.INVESTIGATION)
        decision_at = d.reached(State.DECISION)
        enrolled_at = d.reached(State.ASSIGNMENT)
        implementation_at = d.reached(State.IMPLEMENTATION)
        end = d.end or self.now
        members = {}
        if investigation_at is not None:
            members["coordinator"] = self.add(
                new(
                    CaseMember,
                    case=case,
                    user=coordinator,
                    organisation=staff.social,
                    function="Lots",
                    added_at=investigation_at,
                    added_by=coordinator,
                )
            )
        if enrolled_at is not None:
            members["police"] = self.add(
                new(
                    CaseMember,
                    case=case,
                    user=staff.police_partner,
                    organisation=staff.police,
                    function="Kommunpolis",
                    added_at=enrolled_at,
                    added_by=coordinator,
                )
            )
            if rng.random() < 0.6:
                members["school"] = self.add(
                    new(
                        CaseMember,
                        case=case,
                        user=staff.school_partner,
                        organisation=staff.school,
                        function="Mentor",
                        added_at=enrolled_at,
                        added_by=coordinator,
                    )
                )
            if rng.random() < 0.3:
                self.add(
                    new(
                        CaseMember,
                        case=case,
                        name=f"{rng.choice(FIRST_NAMES)} Tränarsson",
                        function="Fotbollstränare",
                        has_confidentiality_duty=False,
                        added_at=enrolled_at,
                        added_by=coordinator,
                    )
                )

        if investigation_at is not None and d.person is not None and rng.random() < 0.85:
            self.consents(d, coordinator, investigation_at, end)
        if investigation_at is not None:
            self.investigation_records(d, coordinator, decider, investigation_at, decision_at)
        self.decisions(d, decider)
        if enrolled_at is not None:
            self.follow_ups(d, coordinator, enrolled_at, end)
            if implementation_at is not None or rng.random() < 0.7:
                self.plan(d, coordinator, members, enrolled_at, end)
            if rng.random() < 0.09:
                self.placement(d, coordinator, enrolled_at, end)

    def consents(self, d: CaseDraft, coordinator, begin: datetime, end: datetime) -> None:
        rng, case, staff = self.rng, d.case, d.staff
        signed = (begin + timedelta(days=rng.randint(0, 14))).date()
        revoke = case.state == State.WITHDRAWN and rng.random() < 0.5
        while True:
            until = signed + timedelta(days=364)
            last = until >= end.date() or signed + timedelta(days=330) > self.today
            recorded = self.at_on(signed)
            consent = self.add(
                new(
                    Consent,
                    case=case,
                    form=Consent.Form.ORAL if rng.random() < 0.1 else Consent.Form.WRITTEN,
                    place=staff.unit.municipality,
                    signed_on=signed,
                    valid_from=signed,
                    valid_until=until,
                    person_signed=True,
                    officer_name=coordinator.get_full_name(),
                    officer_phone=self.phone(),
                    officer_organisation=staff.social,
                    research_follow_up=rng.random() < 0.5,
                    recorded_by=coordinator,
                    recorded_at=recorded,
                )
            )
            if last and revoke:
                consent.revoked_on = min(end.date(), until)
                consent.revoked_how = "Muntligt till lotsen"
                consent.revoked_by = coordinator
                consent.revocation_recorded_at = end
            orgs = [staff.social, staff.police] if rng.random() < 0.95 else [staff.social]
            if rng.random() < 0.6:
                orgs.append(staff.school)
            for org in orgs:
                self.add(new(Consent.organisations.through, consent=consent, organisation=org))
            for category in rng.sample(staff.categories, rng.randint(3, len(staff.categories))):
                self.add(
                    new(Consent.categories.through, consent=consent, informationcategory=category)
                )
            guardian = self.guardians.get(id(d.person))
            if guardian is not None:
                self.add(new(Consent.guardians_signed.through, consent=consent, guardian=guardian))
            self.log(
                recorded, coordinator, staff.unit.pk, case, "create", "consent", role="coordinator"
            )
            if last:
                break
            signed = until + timedelta(days=1)

    def investigation_records(self, d, coordinator, decider, begin, decision_at) -> None:
        """Inventory, police assessment and threat assessment: what enrolment needs. Cases
        still being investigated have some of them, cases past it nearly all."""
        rng, case, staff = self.rng, d.case, d.staff
        done = decision_at is not None
        until = decision_at or self.now
        when = begin + (until - begin) * rng.uniform(0.2, 0.9)
        common = {"case": case, "recorded_by": coordinator, "recorded_at": when}
        if done or rng.random() < 0.6:
            self.add(
                new(
                    Inventory,
                    **common,
                    series=self.uuid(),
                    assessed_on=timezone.localdate(when),
                    motivation=rng.randint(2, 5),
                    completed=done or rng.random() < 0.5,
                )
            )
        if done or rng.random() < 0.4:
            self.add(
                new(
                    PoliceAssessment,
                    **common,
                    series=self.uuid(),
                    outcome=(
                        PoliceAssessment.Outcome.SUITABLE
                        if rng.random() < 0.93
                        else PoliceAssessment.Outcome.MORE_INFORMATION
                    ),
                    reasoning="Bedöms lämplig utifrån brottsbild och motivation.",
                    assessed_on=timezone.localdate(when),
                    organisation=staff.police,
                )
            )
        if done or rng.random() < 0.5:
            level = self.weighted(THREAT_LEVELS)
            completed = done or rng.random() < 0.5
            threat = self.add(
                new(
                    ThreatAssessment,
                    **common,
                    series=self.uuid(),
                    assessed_on=timezone.localdate(when),
                    source_person=True,
                    source_police=rng.random() < 0.7,
                    level=level,
                    description="Hotbilden bedöms utifrån samtal och polisens uppgifter.",
                    supervisor_informed=decider if completed else None,
                    supervisor_informed_on=timezone.localdate(when) if completed else None,
                    completed=completed,
                )
            )
            if level in (ThreatLevel.HIGH, ThreatLevel.MODERATE):
                for n in range(rng.randint(1, 3) if level == ThreatLevel.HIGH else 1):
                    due = timezone.localdate(when) + timedelta(days=rng.randint(7, 90))
                    finished = due < self.today and rng.random() < 0.75
                    self.add(
                        new(
                            ThreatMeasure,
                            assessment=threat,
                            description=("Skyddat boende utreds", "Larmtelefon", "Ny skolväg")[n],
                            responsible="Polisen och lotsen",
                            organisation=staff.police,
                            due_on=due,
                            done_on=due - timedelta(days=rng.randint(0, 5)) if finished else None,
                        )
                    )

    def decisions(self, d: CaseDraft, decider) -> None:
        rng, case, staff = self.rng, d.case, d.staff
        for from_state, to_state, at in d.moves:
            if to_state not in (State.ASSIGNMENT, State.DECLINED) or not from_state:
                continue
            day = timezone.localdate(at)
            enrol = to_state == State.ASSIGNMENT
            self.add(
                new(
                    CaseDecision,
                    case=case,
                    kind=CaseDecision.Kind.ENROL if enrol else CaseDecision.Kind.DECLINE,
                    outcome=enrol,
                    decided_on=day,
                    reasons=(
                        "Risk för återfall och god motivation; behoven motiverar insatsen."
                        if enrol
                        else "Behoven tillgodoses bättre genom andra insatser."
                    ),
                    risk_of_reoffending="Hög" if enrol else "",
                    motivation="God" if enrol else "",
                    legal_reference=staff.support_reference if enrol else None,
                    review_on=default_review_on(day) if enrol else None,
                    decided_by=decider,
                    decided_at=at,
                )
            )
            self.log(at, decider, staff.unit.pk, case, "create", "decision", role="supervisor")
            if not enrol:
                continue
            # Re-examination at least every six months while the support lasts; sometimes late.
            end = d.end or self.now
            review = default_review_on(day)
            while True:
                held = review - timedelta(days=rng.randint(-20, 25))
                if held >= end.date() or held > self.today:
                    break
                self.add(
                    new(
                        CaseDecision,
                        case=case,
                        kind=CaseDecision.Kind.REEXAMINE,
                        outcome=True,
                        decided_on=held,
                        reasons="Fortsatt behov av insatsen.",
                        legal_reference=staff.support_reference,
                        review_on=default_review_on(held),
                        decided_by=decider,
                        decided_at=self.at_on(held),
                    )
                )
                review = default_review_on(held)

    def follow_ups(self, d: CaseDraft, coordinator, enrolled_at, end) -> None:
        rng, staff = self.rng, d.staff
        if rng.random() > 0.85:
            return
        first_day = timezone.localdate(enrolled_at)
        days = [first_day]
        second = first_day + timedelta(days=rng.randint(180, 365))
        if second <= min(end.date(), self.today) and rng.random() < 0.85:
            days.append(second)
        base = {a.pk: rng.randint(1, 4) for a in staff.life_areas}
        for index, day in enumerate(days):
            assessment = self.add(
                new(
                    FollowUpAssessment,
                    case=d.case,
                    series=self.uuid(),
                    recorded_by=coordinator,
                    recorded_at=self.at_on(day),
                    kind=FollowUpAssessment.Kind.SECOND if index else FollowUpAssessment.Kind.FIRST,
                    assessed_on=day,
                    occupation=rng.choice(FollowUpAssessment.Occupation.values),
                    housing=rng.choice(FollowUpAssessment.Housing.values),
                    substance_use=rng.choice(FollowUpAssessment.Frequency.values),
                    offences_last_six_months=rng.randint(0, 6 - 3 * index),
                    criminal_network=rng.choice(FollowUpAssessment.Frequency.values),
                    income=rng.choice(FollowUpAssessment.Income.values),
                )
            )
            for area in staff.life_areas:
                change = rng.choice((-1, 0, 1, 1, 2)) if index else 0
                self.add(
                    new(
                        FollowUpRating,
                        assessment=assessment,
                        life_area=area,
                        rating=(
                            None if rng.random() < 0.05 else min(5, max(1, base[area.pk] + change))
                        ),
                    )
                )

    def plan(self, d: CaseDraft, coordinator, members, enrolled_at, end) -> None:
        rng, case, staff = self.rng, d.case, d.staff
        closed = d.end is not None
        started = timezone.localdate(enrolled_at) + timedelta(days=rng.randint(3, 30))
        started = min(started, self.today)
        revision = rng.randint(1, 4)
        follow_up_at = None
        if not closed:
            # Most plans have their next follow-up ahead; some are overdue.
            follow_up_at = self.later(self.now, -40, 90) if rng.random() < 0.9 else None
        plan = self.add(
            new(
                ActionPlan,
                case=case,
                status=(
                    ActionPlan.Status.READY
                    if case.state != State.ASSIGNMENT or rng.random() < 0.3
                    else ActionPlan.Status.DRAFT
                ),
                main_goal="Ett liv utan kriminalitet, med skola eller arbete och en trygg fritid.",
                commitments="Kommer till mötena.\nHåller kontakten med lotsen.",
                next_follow_up_at=follow_up_at,
                next_follow_up_place="Socialkontoret" if follow_up_at else "",
                revision=revision,
                updated_by=coordinator,
                updated_at=self.at_on(started),
            )
        )
        for number in range(1, revision + 1):
            self.add(
                new(
                    PlanRevision,
                    plan=plan,
                    number=number,
                    snapshot={"main_goal": plan.main_goal, "revision": number},
                    saved_by=coordinator,
                    saved_at=self.at_on(started),
                )
            )
        owners = [
            (staff.social, None, coordinator),
            (staff.police, members.get("police"), None),
            (staff.school, members.get("school"), None),
            (staff.leisure, None, None),
        ]
        goals = []
        for position, area in enumerate(rng.sample(staff.life_areas, rng.randint(2, 4))):
            goal = self.add(
                new(
                    PlanGoal,
                    plan=plan,
                    life_area=area,
                    goal=f"Förbättring inom {area.label.lower()}",
                    target="Tydlig förändring under ett halvår",
                    measured_by="Uppföljning i gruppen",
                    closed_on=(
                        timezone.localdate(d.end) if closed and rng.random() < 0.8 else None
                    ),
                    position=position,
                )
            )
            goals.append(goal)
            for m in range(rng.randint(1, 3)):
                organisation, member, responsible_staff = rng.choice(owners)
                due = started + timedelta(days=rng.randint(14, 300))
                if closed:
                    status = rng.choice(("done", "done", "done", "cancelled"))
                elif due < self.today:
                    status = rng.choice(("done", "done", "done", "ongoing", "planned"))
                else:
                    status = rng.choice(("planned", "ongoing", "ongoing", "done"))
                self.add(
                    new(
                        PlanMeasure,
                        plan=plan,
                        goal=goal,
                        what=(
                            "Kontakt med studievägledare",
                            "Träning två gånger i veckan",
                            "Samtal om risker",
                            "Ansökan om id-kort",
                        )[(position + m) % 4],
                        how="Lotsen följer med första gången",
                        where=staff.unit.municipality,
                        starts_on=started,
                        due_on=due,
                        responsible_member=member,
                        responsible_staff=responsible_staff,
                        responsible_organisation=organisation,
                        status=status,
                        position=m,
                    )
                )
        if case.state in (State.FOLLOW_UP, State.DISCHARGED) or (
            case.state == State.IMPLEMENTATION and d.reached(State.FOLLOW_UP)
        ):
            held = min(self.today, started + timedelta(days=rng.randint(120, 300)))
            follow_up = self.add(
                new(
                    PlanFollowUp,
                    plan=plan,
                    held_on=held,
                    note="Gruppen gick igenom målen.",
                    recorded_by=coordinator,
                    recorded_at=self.at_on(held),
                )
            )
            for goal in goals:
                self.add(
                    new(
                        GoalResult,
                        follow_up=follow_up,
                        goal=goal,
                        result=rng.choice(GoalResult.Result.values),
                    )
                )
        self.log(
            self.at_on(started),
            coordinator,
            staff.unit.pk,
            case,
            "create",
            "plan",
            role="coordinator",
        )

    def placement(self, d: CaseDraft, coordinator, enrolled_at, end) -> None:
        rng = self.rng
        kind = rng.choice(list(PROVIDERS))
        provider, cost = PROVIDERS[kind]
        starts = timezone.localdate(enrolled_at) + timedelta(days=rng.randint(0, 120))
        if starts > self.today:
            return
        ends = starts + timedelta(days=rng.randint(20, 300))
        open_ended = d.end is None and ends > self.today
        self.add(
            new(
                Placement,
                case=d.case,
                kind=kind,
                provider=provider,
                starts_on=starts,
                ends_on=None if open_ended else min(ends, end.date()),
                daily_cost=cost,
                recorded_by=coordinator,
                recorded_at=self.at_on(starts),
            )
        )

    # --- meetings and deviations -------------------------------------------------------------

    def make_unit_meetings(self, staff: UnitStaff) -> None:
        """The unit's three groups with members, the contact list, agreements and checklists."""
        rng, unit = self.rng, staff.unit
        boss = staff.supervisors[0]
        groups = {
            Group.Kind.STEERING: Group(
                unit=unit, kind=Group.Kind.STEERING, name="Styrgrupp SIG", rhythm_days=90
            ),
            Group.Kind.OPERATIONAL: Group(
                unit=unit, kind=Group.Kind.OPERATIONAL, name="Operativ ledningsgrupp"
            ),
            Group.Kind.PREPARATION: Group(
                unit=unit, kind=Group.Kind.PREPARATION, name="Beredningsgruppen"
            ),
        }
        Group.objects.bulk_create(groups.values())
        self.counts[Group._meta.label] += len(groups)
        members = {
            Group.Kind.STEERING: [(staff.leadership, staff.social), (boss, staff.social)],
            Group.Kind.OPERATIONAL: [
                (boss, staff.social),
                (staff.police_partner, staff.police),
                (staff.school_partner, staff.school),
            ],
            Group.Kind.PREPARATION: [
                *((c, staff.social) for c in staff.coordinators[:2]),
                (boss, staff.social),
                (staff.police_partner, staff.police),
                (staff.school_partner, staff.school),
            ],
        }
        for kind, pairs in members.items():
            for user, org in pairs:
                self.add(
                    new(
                        GroupMember,
                        group=groups[kind],
                        user=user,
                        organisation=org,
                        function=str(org.get_kind_display()),
                        added_at=self.start,
                    )
                )
        self.add(
            new(
                GroupMember,
                group=groups[Group.Kind.STEERING],
                name="Lokalpolisområdeschef Fiktiva",
                email=f"lpo.{unit.pk}@exempel.invalid",
                organisation=staff.police,
                function="Lokalpolisområdeschef",
                added_at=self.start,
            )
        )
        for org, function, days in (
            (staff.police, "Kommunpolis", 40),
            (staff.school, "Rektor", 500),
            (staff.leisure, "Fritidsledare", 200),
        ):
            self.add(
                new(
                    Contact,
                    unit=unit,
                    organisation=org,
                    name=f"{rng.choice(FIRST_NAMES)} {self.surname()}",
                    function=function,
                    phone=self.phone(),
                    email=f"kontakt.{org.pk}@exempel.invalid",
                    last_reviewed_on=self.today - timedelta(days=days),
                )
            )
        for kind, title in (
            (Agreement.Kind.AGREEMENT, "Samverkansöverenskommelse SIG"),
            (Agreement.Kind.SITUATION, "Lokal lägesbild"),
        ):
            dated = self.today - timedelta(days=rng.randint(100, 700))
            self.add(
                new(
                    Agreement,
                    unit=unit,
                    kind=kind,
                    title=title,
                    parties="Socialtjänsten, Polisen, Skolan",
                    dated_on=dated,
                    review_on=dated + timedelta(days=730),
                )
            )
        for year in range(self.today.year - YEARS_BACK + 1, self.today.year + 1):
            self.add(
                new(
                    DistrictChecklist,
                    unit=unit,
                    year=year,
                    answers={
                        code: {"yes": rng.random() < 0.8, "note": ""}
                        for code, _q in DistrictChecklist.QUESTIONS
                    },
                    answered_by=boss,
                    answered_at=self.at_on(date(year, 3, 15))
                    if year < self.today.year
                    else self.now,
                )
            )
        staff.groups = groups
        staff.group_members = members

    def case_meetings(self, staff: UnitStaff, drafts: list[CaseDraft]) -> None:
        """Group meetings over the years (preparation meetings discuss new cases), individual
        group meetings for enrolled cases, their invitations, agenda items and tasks, and the
        unit's collaboration deviations."""
        rng, unit = self.rng, staff.unit
        boss = staff.supervisors[0]
        intakes = [d.moves[0][2] for d in drafts]
        horizon = self.now + timedelta(days=60)
        for kind, group in staff.groups.items():
            every = 91 if kind == Group.Kind.STEERING else 30
            day = timezone.localdate(self.start) + timedelta(days=rng.randint(0, every))
            while timezone.make_aware(datetime(day.year, day.month, day.day)) < horizon:
                starts = timezone.make_aware(datetime(day.year, day.month, day.day, 9))
                past = starts < self.now
                status = (
                    (Meeting.Status.CANCELLED if rng.random() < 0.04 else Meeting.Status.HELD)
                    if past
                    else Meeting.Status.PLANNED
                )
                meeting = self.add(
                    new(
                        Meeting,
                        unit=unit,
                        kind=kind,
                        group=group,
                        title=f"{group.name} {day:%Y-%m-%d}",
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=2),
                        place="Stadshuset, rum 3",
                        convener=boss,
                        status=status,
                        general_minutes="Genomgång av läget." if status == "held" else "",
                        uid=self.uuid(),
                        created_by=boss,
                        updated_at=min(starts, self.now),
                    )
                )
                for user, org in staff.group_members[kind]:
                    self.add(
                        new(
                            Invitation,
                            meeting=meeting,
                            user=user,
                            organisation=org,
                            sent_at=starts - timedelta(days=14),
                            attended=(rng.random() < 0.85) if status == "held" else None,
                        )
                    )
                items = [
                    self.add(
                        new(
                            AgendaItem,
                            meeting=meeting,
                            part=AgendaItem.Part.GENERAL,
                            position=0,
                            title="Läget i området",
                            minutes="Inget särskilt att notera." if status == "held" else "",
                            registered_by=boss,
                            registered_at=starts - timedelta(days=7),
                        )
                    )
                ]
                if kind == Group.Kind.PREPARATION:
                    low = bisect_left(intakes, starts - timedelta(days=45))
                    high = bisect_left(intakes, starts)
                    for position, d in enumerate(drafts[low:high][:4], start=1):
                        items.append(
                            self.add(
                                new(
                                    AgendaItem,
                                    meeting=meeting,
                                    part=AgendaItem.Part.INDIVIDUAL,
                                    position=position,
                                    case=d.case,
                                    title=d.case.alias,
                                    preparation="Ny aktualisering att bereda.",
                                    minutes="Utredning föreslås." if status == "held" else "",
                                    registered_by=d.case.received_by,
                                    registered_at=min(starts, d.moves[0][2]),
                                )
                            )
                        )
                if status == "held":
                    for _n in range(rng.randint(0, 2)):
                        self.task(meeting, rng.choice(items), staff, day)
                day += timedelta(days=every + rng.randint(-3, 3))

        for d in drafts:
            begin = d.reached(State.IMPLEMENTATION)
            if begin is None:
                continue
            end = d.end or horizon
            coordinator = d.case.coordinator
            day = timezone.localdate(begin) + timedelta(days=rng.randint(5, 30))
            held = []
            while True:
                starts = (
                    self.at_on(day, 9, 15)
                    if day <= self.today
                    else timezone.make_aware(datetime(day.year, day.month, day.day, 14))
                )
                if starts > end:
                    break
                held.append(starts)
                day += timedelta(days=rng.randint(25, 60))
            for starts in held[-4:]:
                past = starts < self.now
                status = Meeting.Status.HELD if past else Meeting.Status.PLANNED
                meeting = self.add(
                    new(
                        Meeting,
                        unit=unit,
                        kind=Meeting.Kind.INDIVIDUAL,
                        case=d.case,
                        title="Möte i insatsgruppen",
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=1),
                        place="Socialkontoret",
                        convener=coordinator,
                        status=status,
                        uid=self.uuid(),
                        created_by=coordinator,
                        updated_at=min(starts, self.now),
                    )
                )
                for user, org in (
                    (coordinator, staff.social),
                    (staff.police_partner, staff.police),
                ):
                    self.add(
                        new(
                            Invitation,
                            meeting=meeting,
                            user=user,
                            organisation=org,
                            sent_at=starts - timedelta(days=10),
                            attended=True if past else None,
                        )
                    )
                if past and rng.random() < 0.3:
                    self.task(meeting, None, staff, timezone.localdate(starts), coordinator)

        for _n in range(rng.randint(15, 45)):
            occurred = self.today - timedelta(days=rng.randint(0, 365 * YEARS_BACK))
            age = (self.today - occurred).days
            status = (
                Deviation.Status.CLOSED
                if age > 200 and rng.random() < 0.9
                else rng.choice(Deviation.Status.values)
            )
            reported = self.at_on(occurred + timedelta(days=rng.randint(0, 5)))
            case = rng.choice(drafts).case if drafts and rng.random() < 0.3 else None
            reporter, role = rng.choice(
                ((staff.coordinators[0], "coordinator"), (staff.police_partner, "partner"))
            )
            self.add(
                new(
                    Deviation,
                    unit=unit,
                    organisation=rng.choice((staff.police, staff.school, staff.social)),
                    case=case,
                    occurred_on=occurred,
                    what_happened="Informationen nådde inte fram i tid till gruppen.",
                    status=status,
                    analysis="Rutinen var otydlig." if status != "reported" else "",
                    improvement="Ny rutin för kallelser."
                    if status in ("decided", "followed_up", "closed")
                    else "",
                    closed_on=(
                        min(self.today, occurred + timedelta(days=rng.randint(30, 120)))
                        if status == "closed"
                        else None
                    ),
                    reported_by=reporter,
                    reported_at=reported,
                    updated_at=reported,
                )
            )
            self.log(reported, reporter, unit.pk, case, "create", "deviation", role=role)

    def task(self, meeting, item, staff, day: date, responsible=None) -> None:
        rng = self.rng
        due = day + timedelta(days=rng.randint(7, 35))
        finished = due < self.today and rng.random() < 0.85
        self.add(
            new(
                Task,
                meeting=meeting,
                item=item,
                description="Återkoppla till gruppen om nästa steg",
                responsible=responsible or rng.choice(staff.coordinators + staff.supervisors),
                due_on=due,
                done_on=min(self.today, due + timedelta(days=rng.randint(-7, 7)))
                if finished
                else None,
                created_by=staff.supervisors[0],
                created_at=min(self.now, self.at_on(day)),
            )
        )

    # --- writing -----------------------------------------------------------------------------

    def write_chunk(self) -> None:
        """Everything buffered for the chunk, parents before children."""
        self.flush(
            GroupMember,
            Contact,
            Agreement,
            DistrictChecklist,
            CaseTransition,
            CaseMember,
            Consent,
            Consent.organisations.through,
            Consent.categories.through,
            Consent.guardians_signed.through,
            CaseDecision,
            FollowUpAssessment,
            FollowUpRating,
            Inventory,
            PoliceAssessment,
            ThreatAssessment,
            ThreatMeasure,
            ActionPlan,
            PlanRevision,
            PlanGoal,
            PlanMeasure,
            PlanFollowUp,
            GoalResult,
            Placement,
            Deviation,
            Meeting,
            Invitation,
            AgendaItem,
            Task,
        )
        assert not self.pending, f"unwritten rows: {list(self.pending)}"
        self.guardians.clear()

    def write_access_log(self) -> None:
        """Chain the generated rows, oldest first, onto the log's current head."""
        self.log_rows.sort(key=lambda row: row[0])
        head, _created = AccessLogHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": access_log.GENESIS}
        )
        previous, batch = head.last_hash, []
        for row in self.log_rows:
            (
                at,
                user_id,
                username,
                unit_id,
                case_id,
                person_id,
                action,
                kind,
                oid,
                grounds,
                detail,
            ) = row
            entry = new(
                AccessLogEntry,
                at=at.astimezone(UTC),
                user_id=user_id,
                username=username,
                unit_id=unit_id,
                case_id=case_id,
                person_id=person_id,
                action=action,
                object_type=kind,
                object_id=oid,
                grounds=grounds,
                detail=detail,
                prev_hash=previous,
            )
            entry.hash = previous = access_log._digest(entry)
            batch.append(entry)
            if len(batch) >= self.batch_size:
                insert(AccessLogEntry, batch, self.batch_size)
                batch = []
        if batch:
            insert(AccessLogEntry, batch, self.batch_size)
        AccessLogHead.objects.filter(pk=1).update(
            last_hash=previous, count=head.count + len(self.log_rows)
        )
        self.counts[AccessLogEntry._meta.label] += len(self.log_rows)
        self.log_rows = []


@dataclass(frozen=True)
class _Spec:
    static: dict  # attname -> default value
    dynamic: tuple  # (attname, callable default)
    relations: dict  # field name -> (attname, cache name)


_SPECS: dict = {}


def _spec(model) -> _Spec:
    spec = _SPECS.get(model)
    if spec is None:
        static, dynamic, relations = {}, [], {}
        for f in model._meta.concrete_fields:
            if f.is_relation:
                relations[f.name] = (f.attname, f.cache_name)
            if f.has_default() and callable(f.default):
                dynamic.append((f.attname, f.default))
            else:
                static[f.attname] = f.get_default()
        spec = _SPECS[model] = _Spec(static, tuple(dynamic), relations)
    return spec


def new(model, **values):
    """A model instance without Model.__init__, several times faster for millions of rows.

    Unset fields get their defaults. A related object may be given before it has an id: it
    is cached on the instance like Model.__init__ does, and its id is read when the row is
    written (by `insert`, or by bulk_create on SQLite).
    """
    spec = _spec(model)
    obj = model.__new__(model)
    obj._state = ModelState()
    data = dict(spec.static)
    for attname, default in spec.dynamic:
        if attname not in values:
            data[attname] = default()
    cache = obj._state.fields_cache
    for key, value in values.items():
        relation = spec.relations.get(key)
        if relation is None:
            data[key] = value
        else:
            attname, cache_name = relation
            data[attname] = None if value is None else value.pk
            cache[cache_name] = value
    obj.__dict__.update(data)
    return obj


# Field types whose Python value psycopg writes as it is; anything else goes through the field.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateField,  # DateTimeField too
    models.DecimalField,
    models.UUIDField,
)


def insert(model, objs: list, batch_size: int = BATCH_SIZE) -> None:
    """bulk_create, but on PostgreSQL as COPY with ids drawn from the table's sequence first.

    Django's insert compiler costs ~10 µs per value, which at millions of rows is most of the
    run; COPY lets psycopg adapt the values in C. Ids are taken with nextval, so the sequence
    stays right and children can refer to their parents before these rows are sent. Rows go in
    the order given, so ascending ids keep the access log's chain order.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size)
        return
    from psycopg import sql as psycopg_sql  # only needed, and only installed, with PostgreSQL

    meta = model._meta
    pk = meta.pk
    with connection.cursor() as cursor:
        missing = [obj for obj in objs if obj.pk is None]
        if missing and isinstance(pk, models.AutoField):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(missing)],
            )
            for obj, (value,) in zip(missing, sorted(cursor.fetchall()), strict=True):
                obj.pk = value
        fields = list(meta.concrete_fields)
        getters = []
        for f in fields:
            if f.is_relation:
                getters.append(_foreign_key_getter(f))
            elif isinstance(f, models.JSONField):
                getters.append(lambda obj, name=f.attname: json.dumps(getattr(obj, name)))
            elif isinstance(f, _PLAIN_FIELDS):
                getters.append(operator.attrgetter(f.attname))
            else:
                getters.append(_prepared_getter(f))
        statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg_sql.Identifier(meta.db_table),
            psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(f.column) for f in fields),
        )
        with cursor.cursor.copy(statement) as copy:
            for obj in objs:
                copy.write_row([get(obj) for get in getters])


def _foreign_key_getter(f):
    """The id, also when the parent was assigned as an object before it got its id."""
    attname = f.attname

    def get(obj):
        value = getattr(obj, attname)
        if value is None and f.is_cached(obj):
            parent = f.get_cached_value(obj)
            if parent is not None:
                value = parent.pk
                setattr(obj, attname, value)  # as bulk_create does
        return value

    return get


def _prepared_getter(f):
    return lambda obj: f.get_db_prep_save(getattr(obj, f.attname), connection)


def decider_of(draft: CaseDraft):
    """The supervisor who took the case's decisions (set on the case), else any supervisor."""
    return draft.case.decision_maker or draft.staff.supervisors[0]


def generate(**kwargs) -> Counter:
    """Generate the data set; see Generator for the arguments. Refuses if load data exists."""
    return Generator(**kwargs).run()
