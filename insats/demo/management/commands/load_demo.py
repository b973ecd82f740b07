"""Load fictional demo data: one municipality, two units, every role, cases in every state.

Idempotent: running it again leaves existing demo data alone and prints the logins. Every
name, number and address is made up; identity numbers are generated with a valid check digit
for birth dates and serials chosen here, never copied from anywhere.
"""

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.cases.models import Case, Source
from insats.casework import services_returnees as returnees
from insats.consent import services as consent_services
from insats.decisions.models import FollowUpAssessment
from insats.demo import staffsafety as staffsafety_demo
from insats.demo.investigation import ALL, Investigation, backdate
from insats.demo.meetings import make_meetings
from insats.demo.plans import make_casework, make_plan
from insats.investigation.models import PoliceAssessment, ThreatLevel
from insats.organisations.models import (
    DischargeReason,
    InformationCategory,
    LegalReference,
    Membership,
    Organisation,
    Role,
    Unit,
    User,
)
from insats.organisations.services import membership_grant, unit_create
from insats.people.models import Guardian, Person
from insats.people.personnummer import luhn_check_digit

DEMO_PASSWORD = "demo-insats-2026"  # noqa: S105 - fictional demo logins only
MUNICIPALITY = "Exempelstads kommun"

FIRST_NAMES = [
    "Alva",
    "Elis",
    "Noah",
    "Saga",
    "Liam",
    "Wilma",
    "Hugo",
    "Ines",
    "Otto",
    "Tuva",
    "Milo",
    "Nora",
    "Adam",
    "Ebba",
    "Leon",
    "Vera",
    "Sam",
    "Lova",
    "Isak",
    "Alma",
    "Theo",
    "Stella",
    "Kian",
    "Maja",
    "Omar",
    "Juni",
    "Elvin",
    "Selma",
    "Amir",
    "Tilde",
]
LAST_NAMES = [
    "Ekvall",
    "Lindmark",
    "Sandelius",
    "Bergvik",
    "Holmqvist",
    "Strandberg",
    "Rydén",
    "Norrby",
    "Åkesson",
    "Fjällström",
    "Granlund",
    "Wikström",
    "Dahlgren",
    "Tallberg",
]
STREETS = ["Påhittegatan", "Exempelvägen", "Lindallén", "Björkstigen", "Fiktivgränd"]

# (username, first, last, unit index, organisation kind, role, may_decide, function)
USERS = [
    ("lots", "Lina", "Lotsberg", 0, "social_services", Role.COORDINATOR, False, "Lots"),
    ("lots2", "Karim", "Samordnarsson", 0, "social_services", Role.COORDINATOR, False, "Lots"),
    ("utredare", "Ulla", "Utredh", 0, "social_services", Role.INVESTIGATOR, False, "Utredare"),
    ("chef", "Cecilia", "Chefsdotter", 0, "social_services", Role.SUPERVISOR, True, "Enhetschef"),
    (
        "arbetsledare",
        "Arvid",
        "Ledare",
        0,
        "social_services",
        Role.SUPERVISOR,
        False,
        "Arbetsledare",
    ),
    ("polis", "Petra", "Polhem", 0, "police", Role.PARTNER, False, "Kommunpolis"),
    ("skola", "Sven", "Skolander", 0, "school", Role.PARTNER, False, "Mentor"),
    ("ledning", "Lars", "Ledningsson", 0, "social_services", Role.LEADERSHIP, False, "Socialchef"),
    (
        "analytiker",
        "Anna",
        "Statistiksson",
        0,
        "social_services",
        Role.ANALYST,
        False,
        "Statistikutredare",
    ),
    (
        "admin",
        "Adam",
        "Administratör",
        0,
        "social_services",
        Role.ADMINISTRATOR,
        False,
        "Systemförvaltare",
    ),
    ("sodra.lots", "Sara", "Söderlots", 1, "social_services", Role.COORDINATOR, False, "Lots"),
    (
        "sodra.utredare",
        "Sixten",
        "Södersson",
        1,
        "social_services",
        Role.INVESTIGATOR,
        False,
        "Utredare",
    ),
    ("sodra.chef", "Siv", "Söderchef", 1, "social_services", Role.SUPERVISOR, True, "Enhetschef"),
    ("sodra.polis", "Sonja", "Polsson", 1, "police", Role.PARTNER, False, "Kommunpolis"),
]

# How many demo cases end in each state, per unit (first unit, second unit).
STATE_PLAN = {
    State.INTAKE: (4, 1),
    State.INVESTIGATION: (4, 1),
    State.DECISION: (3, 1),
    State.ASSIGNMENT: (2, 1),
    State.IMPLEMENTATION: (4, 1),
    State.FOLLOW_UP: (3, 0),
    State.DISCHARGED: (2, 1),
    State.DECLINED: (1, 0),
    State.WITHDRAWN: (1, 0),
}

# The moves that lead to each state from intake.
PATHS = {
    State.INTAKE: [],
    State.INVESTIGATION: [State.INVESTIGATION],
    State.DECISION: [State.INVESTIGATION, State.DECISION],
    State.ASSIGNMENT: [State.INVESTIGATION, State.DECISION, State.ASSIGNMENT],
    State.IMPLEMENTATION: [
        State.INVESTIGATION,
        State.DECISION,
        State.ASSIGNMENT,
        State.IMPLEMENTATION,
    ],
    State.FOLLOW_UP: [
        State.INVESTIGATION,
        State.DECISION,
        State.ASSIGNMENT,
        State.IMPLEMENTATION,
        State.FOLLOW_UP,
    ],
    State.DISCHARGED: [
        State.INVESTIGATION,
        State.DECISION,
        State.ASSIGNMENT,
        State.IMPLEMENTATION,
        State.FOLLOW_UP,
        State.DISCHARGED,
    ],
    State.DECLINED: [State.INVESTIGATION, State.DECISION, State.DECLINED],
    State.WITHDRAWN: [State.INVESTIGATION, State.WITHDRAWN],
}

REASONS = {
    State.INVESTIGATION: "Personen vill ha stöd att lämna kriminaliteten; utredning inleds.",
    State.DECISION: "Utredningen är klar och lämnas för beslut.",
    State.ASSIGNMENT: "Risk för återfall och motivation bedömda; insats beviljas.",
    State.IMPLEMENTATION: "Handlingsplanen är klar och gruppen har haft sitt första möte.",
    State.FOLLOW_UP: "Planen följs upp på gruppmötet.",
    State.DISCHARGED: "Målen i planen är följda och ärendet avslutas.",
    State.DECLINED: "Polisens lämplighetsbedömning talar emot insats.",
    State.WITHDRAWN: "Personen avstår från fortsatt kontakt.",
}


def make_identity_number(rng: random.Random, birth: date) -> str:
    serial = f"{rng.randint(0, 999):03d}"
    short = birth.strftime("%y%m%d") + serial
    return f"{birth:%Y%m%d}{serial}{luhn_check_digit(short)}"


class Command(BaseCommand):
    help = "Load fictional demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        if Unit.objects.filter(municipality=MUNICIPALITY).exists():
            self.stdout.write("Demodata finns redan; inget lades till.")
        else:
            self._load()
            self.stdout.write(self.style.SUCCESS("Demodata inläst."))
        self._print_logins()

    @transaction.atomic
    def _load(self) -> None:
        rng = random.Random(2026)
        units = [
            unit_create(
                name="Norra Exempelstad",
                municipality=MUNICIPALITY,
                case_prefix="N",
                target_age_min=15,
                target_age_max=21,
            ),
            unit_create(
                name="Södra Exempelstad",
                municipality=MUNICIPALITY,
                case_prefix="S",
                target_age_min=15,
                target_age_max=25,
            ),
        ]
        organisations = {}
        for index, unit in enumerate(units):
            part = unit.name.split()[0]
            for kind, label in Organisation.Kind.choices:
                name = f"{label} {part}" if kind != "social_services" else f"Socialtjänsten {part}"
                organisations[index, kind] = Organisation.objects.create(
                    unit=unit, name=name, kind=kind
                )
        users = {}
        for username, first, last, index, kind, role, may_decide, function in USERS:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@exempelstad.invalid",
                is_staff=role == Role.ADMINISTRATOR,
                is_superuser=role == Role.ADMINISTRATOR,
            )
            membership_grant(  # logged like any grant, "by the system"
                by=None,
                user=user,
                organisation=organisations[index, kind],
                role=role,
                may_decide=may_decide,
                function=function,
            )
            users[username] = user
        staff = [
            {
                "received": users["lots"],
                "coordinators": [users["lots"], users["lots2"]],
                "investigator": users["utredare"],
                "decider": users["chef"],
                "police": users["polis"],
            },
            {
                "received": users["sodra.lots"],
                "coordinators": [users["sodra.lots"]],
                "investigator": users["sodra.utredare"],
                "decider": users["sodra.chef"],
                "police": users["sodra.polis"],
            },
        ]
        today = timezone.localdate()
        names = iter(
            rng.sample([(f, s) for f in FIRST_NAMES for s in LAST_NAMES], k=len(FIRST_NAMES) * 2)
        )
        cases = {}
        for state, counts in STATE_PLAN.items():
            for index, count in enumerate(counts):
                for n in range(count):
                    case = self._case(rng, units[index], staff[index], state, next(names), n, today)
                    cases.setdefault((index, state), []).append(case)
        self._consents(cases, users, organisations, today)
        self._returnees(units[0], cases, users["lots"], today)
        make_meetings(
            units[0],
            users,
            # Police consent covers the first implementation case, not the third investigation.
            {
                "covered": cases[0, State.IMPLEMENTATION][0],
                "uncovered": cases[0, State.INVESTIGATION][2],
            },
            today,
        )
        staffsafety_demo.load(units[0], today)

    def _consents(self, cases, users, organisations, today) -> None:
        """Every consent state: none, active, expiring soon, expired, revoked, partial."""
        police, school = organisations[0, "police"], organisations[0, "school"]
        social = organisations[0, "social_services"]
        categories = {c.code: c for c in InformationCategory.objects.filter(unit=police.unit)}
        plans = [
            # (state, index, organisations, category codes, valid_from offset, length, revoke)
            (State.IMPLEMENTATION, 0, [police, school], list(categories), -60, 365, False),
            (State.IMPLEMENTATION, 1, [police], ["criminality", "occupation"], -30, 365, False),
            (State.FOLLOW_UP, 0, [police, school], list(categories), -355, 365, False),
            (State.FOLLOW_UP, 1, [police, school], list(categories), -400, 365, False),
            (State.ASSIGNMENT, 0, [police, school], list(categories), -90, 365, True),
            (State.DECISION, 0, [police], ["criminality"], -20, 180, False),
        ]
        for state, index, orgs, codes, offset, length, revoke in plans:
            case = cases[0, state][index]
            lots = case.coordinator
            members = set(
                case.members.filter(removed_at__isnull=True).values_list("user_id", flat=True)
            )
            for user, organisation, function in (
                (users["polis"], police, "Kommunpolis"),
                (users["skola"], school, "Mentor"),
            ):
                if user.pk in members:
                    continue
                consent_services.member_add_user(
                    case=case, by=lots, user=user, organisation=organisation, function=function
                )
            consent_services.member_add_external(
                case=case, by=lots, name="Kim Tränarsson", function="Fotbollstränare"
            )
            # The consent from the investigation is replaced by the one this plan shows.
            for earlier in case.consents.filter(revoked_on__isnull=True):
                consent_services.consent_revoke(
                    consent=earlier, by=lots, revoked_on=today, how="Ersatt av ett nytt samtycke"
                )
            start = today + timedelta(days=offset)
            person = case.person
            consent = consent_services.consent_create(
                case=case,
                by=lots,
                organisations=orgs,
                categories=[categories[c] for c in codes],
                place="Exempelstad",
                signed_on=start,
                valid_from=start,
                valid_until=start + timedelta(days=length),
                officer_name=lots.get_full_name(),
                officer_phone="010-000 00 00",
                officer_organisation=social,
                person_signed=True,
                guardians_signed=person.guardians.all() if person.age(start) < 18 else [],
            )
            if revoke:
                consent_services.consent_revoke(
                    consent=consent,
                    by=lots,
                    revoked_on=today - timedelta(days=3),
                    how="Muntligt vid möte med lotsen",
                )
        disclosure_case = cases[0, State.INVESTIGATION][0]
        consent_services.disclosure_record(
            case=disclosure_case,
            by=disclosure_case.coordinator,
            to_organisation=police,
            information="Uppgift om att den unge deltar i utredning hos socialtjänsten.",
            disclosed_on=today - timedelta(days=5),
            legal_basis=LegalReference.objects.get(unit=police.unit, code="osl_10_18a"),
        )

    def _case(self, rng, unit, staff, state, name, n, today) -> Case:
        age = rng.randint(unit.target_age_min, unit.target_age_max)
        if n == 0 and state == State.INTAKE:
            age = unit.target_age_max + 2  # shows the out-of-range warning
        birth = today - timedelta(days=age * 365 + rng.randint(10, 350))
        person = None
        # Most intakes start de-identified; later states are identified.
        if state != State.INTAKE or n % 2 == 1:
            first, last = name
            number = make_identity_number(rng, birth)
            person = Person.objects.create(
                unit=unit,
                first_name=first,
                last_name=last,
                identity_number=number,
                number_kind=Person.NumberKind.PERSONNUMMER,
                birth_date=birth,
                street_address=f"{rng.choice(STREETS)} {rng.randint(1, 60)}",
                postal_code=f"{rng.randint(100, 999)} {rng.randint(10, 99)}",
                city="Exempelstad",
                phone=f"070-000 {rng.randint(10, 99)} {rng.randint(10, 99)}",
                protected_identity=(n == 1 and state == State.IMPLEMENTATION),
            )
            if person.age(today - timedelta(days=400)) < 18:  # minor when earliest consent signed
                Guardian.objects.create(
                    person=person,
                    name=f"{rng.choice(FIRST_NAMES)} {last}",
                    relation="Förälder",
                    phone=f"070-111 {rng.randint(10, 99)} 00",
                )
        coordinator = staff["coordinators"][n % len(staff["coordinators"])]
        case = case_services.case_create_intake(
            unit=unit,
            created_by=staff["received"],
            person=person,
            age=age,
            source=rng.choice(Source.values),
            coordinator=coordinator,
            intake_basis="Fiktivt underlag för demonstration.",
            age_at_first_offence=rng.randint(11, 15),
        )
        if state != State.INTAKE:
            case_services.case_assign_staff(
                case=case,
                by=staff["decider"],
                coordinator=coordinator,
                investigator=staff["investigator"],
            )
        reasons = {r.code: r for r in DischargeReason.objects.filter(unit=unit)}
        investigation = Investigation(rng, unit, staff, staff["police"], today)
        # Enrolled cases were decided up to six months ago (some re-examinations come due soon).
        enrol_day = today - timedelta(
            days=rng.randint(160, 178) if n == 0 else rng.randint(30, 175)
        )
        if state == State.FOLLOW_UP or state == State.DISCHARGED:
            enrol_day = today - timedelta(days=rng.randint(165, 178))
        if PATHS[state][2:3] in ([State.ASSIGNMENT], [State.DECLINED]):
            backdate(case, enrol_day - timedelta(days=rng.randint(14, 60)), today)
        elif state != State.INTAKE:
            backdate(case, today - timedelta(days=rng.randint(5, 40)), today)
        case.refresh_from_db()
        for target in PATHS[state]:
            actor = {
                State.DECISION: staff["investigator"],
                State.INVESTIGATION: staff["investigator"],
            }.get(target, coordinator)
            if target == State.DECISION:
                self._investigate(investigation, case, state, n, enrol_day)
            if target == State.ASSIGNMENT:
                investigation.enrol(case, enrol_day)
                make_plan(rng, case, staff["police"], today, state)
                if state in (State.IMPLEMENTATION, State.FOLLOW_UP) and n < 2:
                    make_casework(case, today, failure_review=state == State.FOLLOW_UP)
                continue
            if target == State.DECLINED:
                investigation.decline(case, enrol_day)
                continue
            if target == State.FOLLOW_UP:
                investigation.follow_up(
                    case, FollowUpAssessment.Kind.SECOND, today - timedelta(days=3)
                )
            case_services.case_transition(
                case=case,
                to_state=target,
                by=actor,
                reason=REASONS[target],
                discharge_reason=reasons["goals_met"] if target == State.DISCHARGED else None,
                summary="Har påbörjat en utbildning och har inga nya misstankar om brott. "
                "Familjen och tränaren finns kvar som stöd.",
            )
        if state == State.INVESTIGATION and n < 2:
            investigation.run(case, parts=("consent", "inventory")[: 2 - n], day=today)
        return case

    @staticmethod
    def _investigate(investigation, case: Case, state: str, n: int, enrol_day) -> None:
        """Cases waiting for decision show each way enrolment can be blocked."""
        if state == State.DECISION:
            parts, outcome = {
                1: (("consent", "inventory", "criminality"), PoliceAssessment.Outcome.SUITABLE),
                2: (ALL, PoliceAssessment.Outcome.NOT_SUITABLE),
            }.get(n, (ALL, PoliceAssessment.Outcome.SUITABLE))
            investigation.run(case, parts=parts, police_outcome=outcome, day=enrol_day)
        elif state == State.DECLINED:
            investigation.run(
                case,
                parts=("consent", "inventory", "police"),
                police_outcome=PoliceAssessment.Outcome.NOT_SUITABLE,
                day=enrol_day,
            )
        else:
            high = state == State.IMPLEMENTATION and n == 0
            investigation.run(
                case,
                threat_level=ThreatLevel.HIGH if high else None,
                day=enrol_day - timedelta(days=7),
            )

    @staticmethod
    def _returnees(unit, cases, by, today) -> None:
        """Young people coming home from SiS or Kriminalvården, with and without a case."""
        linked = cases[0, State.ASSIGNMENT][1]
        for kind, case, name, age, institution, days in (
            ("sis", linked, "", linked.age_at_intake, "SiS ungdomshem Exempelby", 20),
            ("probation", None, "Kim Återvändarsson", 23, "Anstalten Exempelås", 45),
            ("sis", None, "Alex Hemkomstsson", 17, "SiS ungdomshem Fiktiva", 12),
        ):
            returnees.returnee_save(
                unit=unit,
                by=by,
                kind=kind,
                case=case,
                name=name,
                age=age,
                institution=institution,
                expected_on=today + timedelta(days=days),
            )

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demoinloggningar (lösenord för alla: {DEMO_PASSWORD}):")
        memberships = Membership.objects.filter(
            user__username__in=[u[0] for u in USERS]
        ).select_related("user", "organisation__unit")
        for m in memberships.order_by("organisation__unit__name", "user__username"):
            decide = ", beslutsrätt" if m.may_decide else ""
            self.stdout.write(
                f"  {m.user.username:<16} {m.get_role_display()}{decide} – {m.organisation}"
            )
        self.stdout.write("")
