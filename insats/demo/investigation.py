"""Demo investigations and decisions, made through the real services.

Enrolled demo cases went through the whole investigation before the supervisor's decision;
cases waiting for decision show each way an enrolment can be blocked.
"""

import random
from datetime import date, timedelta

from insats.cases.models import Case
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.decisions import services as decisions
from insats.decisions.models import FollowUpAssessment
from insats.investigation import services as inv
from insats.investigation.models import PoliceAssessment, ThreatLevel
from insats.organisations.models import (
    CrimeType,
    InformationCategory,
    LegalReference,
    Organisation,
)
from insats.risk import services as risk

ALL = ("consent", "inventory", "police", "threat", "criminality", "resources", "risk")


class Investigation:
    """Runs the investigation steps for one unit's demo cases."""

    def __init__(self, rng: random.Random, unit, staff: dict, police_user, today: date):
        self.rng = rng
        self.unit = unit
        self.staff = staff
        self.police_user = police_user
        self.today = today
        orgs = Organisation.objects.filter(unit=unit)
        self.police = orgs.get(kind=Organisation.Kind.POLICE)
        self.social = orgs.get(kind=Organisation.Kind.SOCIAL_SERVICES)
        self.partners = list(orgs.exclude(kind=Organisation.Kind.SOCIAL_SERVICES))
        self.categories = {c.code: c for c in InformationCategory.objects.filter(unit=unit)}
        self.crime_types = list(CrimeType.objects.filter(unit=unit))
        self.support = LegalReference.objects.get(unit=unit, code="support_sol")

    def run(
        self,
        case: Case,
        *,
        parts=ALL,
        police_outcome=PoliceAssessment.Outcome.SUITABLE,
        threat_level=None,
        day: date,
    ) -> None:
        """Do the chosen investigation parts as of `day` (dates in the past are recorded)."""
        coordinator, investigator = case.coordinator, self.staff["investigator"]
        rng = self.rng
        if "consent" in parts:
            self._consent(case, day)
        if "inventory" in parts:
            areas = list(inv.unit_life_areas(case))
            inv.inventory_save(
                case=case,
                by=investigator,
                assessed_on=day,
                ratings=[
                    {
                        "life_area": area,
                        "own_rating": rng.randint(2, 4),
                        "staff_rating": rng.randint(1, 4),
                        "wants_change": rng.random() < 0.6,
                        "note": "",
                    }
                    for area in areas
                ],
                motivation=rng.randint(3, 5),
                motivation_note="Säger själv att han eller hon vill bort från kompisgänget.",
                priorities=rng.sample(areas, 3),
                completed=True,
            )
        if "police" in parts:
            inv.police_assessment_save(
                case=case,
                by=self.police_user,
                outcome=police_outcome,
                reasoning={
                    PoliceAssessment.Outcome.SUITABLE: "Risk för fortsatt brottslighet men "
                    "tydlig vilja att förändra. Inga hinder från polisens sida.",
                    PoliceAssessment.Outcome.NOT_SUITABLE: "Aktuell i pågående konflikt; "
                    "polisen bedömer att insatsen inte kan genomföras säkert nu.",
                    PoliceAssessment.Outcome.MORE_INFORMATION: "Polisen behöver inhämta mer "
                    "underlag innan bedömningen.",
                }[police_outcome],
                assessed_on=day,
            )
        if "threat" in parts:
            level = threat_level or rng.choice(
                [ThreatLevel.NONE, ThreatLevel.LOW, ThreatLevel.LOW, ThreatLevel.MODERATE]
            )
            inv.threat_save(
                case=case,
                by=coordinator,
                assessed_on=day,
                level=level,
                description="Bedömd utifrån samtal med personen och polisens kännedom.",
                source_person=True,
                source_police=True,
                measures=[
                    {
                        "description": "Byte av telefonnummer och skyddade uppgifter i skolan",
                        "responsible": "Kommunpolisen",
                        "organisation": self.police,
                        # An open measure is due soon; a finished one was due after three weeks.
                        "due_on": self.today + timedelta(days=10)
                        if level == ThreatLevel.HIGH
                        else day + timedelta(days=21),
                        "done_on": None if level == ThreatLevel.HIGH else day + timedelta(days=7),
                    }
                ]
                if level in (ThreatLevel.MODERATE, ThreatLevel.HIGH)
                else [],
                supervisor_informed=self.staff["decider"],
                supervisor_informed_on=day,
                completed=True,
            )
        if "criminality" in parts:
            inv.criminality_save(
                case=case,
                by=investigator,
                volume=rng.choice(["several", "many"]),
                age_at_first_offence=min(case.age_at_intake, rng.randint(11, 15)),
                debut_basis="self_reported",
                offences_last_six_months=rng.randint(0, 6),
                recent_basis="confirmed",
                items=[
                    {
                        "crime_type": crime,
                        "basis": rng.choice(["self_reported", "confirmed"]),
                        "source": rng.choice(["Samtal", "Polisen"]),
                        "noted_on": day,
                        "note": "",
                    }
                    for crime in rng.sample(self.crime_types, 2)
                ],
            )
        if "resources" in parts:
            inv.resources_save(
                case=case,
                by=investigator,
                people=[
                    {
                        "name": "Moster Fiktiva",
                        "relation": "Moster",
                        "phone": "070-000 00 01",
                        "may_contact": True,
                        "covered_by_consent": False,
                    }
                ],
                needed_organisations=rng.sample(self.partners, 2),
                note="",
            )

        if "risk" in parts:
            instrument = risk.instruments_for(self.unit).first()
            items = list(instrument.items.all())
            risk.risk_assessment_save(
                case=case,
                by=investigator,
                instrument=instrument,
                assessed_on=day,
                summary=rng.choice(instrument.summary_scale[1:]),
                summary_reasons="Flera historiska riskfaktorer men tydliga skyddsfaktorer i "
                "familjen; risken bedöms utifrån helheten, inte summan.",
                ratings=[
                    {
                        "item": item,
                        "level": rng.choice(item.scale),
                        "critical": not item.protective and rng.random() < 0.1,
                    }
                    for item in items
                ],
                extra_factors=[
                    {
                        "protective": True,
                        "description": "Engagerad moster",
                        "level": "",
                        "critical": False,
                    }
                ],
            )

    def _consent(self, case: Case, day: date) -> Consent:
        start = day - timedelta(days=5)
        person = case.person
        consent_services.member_add_user(
            case=case,
            by=case.coordinator,
            user=self.police_user,
            organisation=self.police,
            function="Kommunpolis",
        )
        return consent_services.consent_create(
            case=case,
            by=case.coordinator,
            organisations=[self.police],
            categories=[self.categories[c] for c in ("criminality", "family", "health")],
            place="Exempelstad",
            signed_on=start,
            valid_from=start,
            valid_until=start + timedelta(days=365),
            officer_name=case.coordinator.get_full_name(),
            officer_phone="010-000 00 00",
            officer_organisation=self.social,
            person_signed=True,
            guardians_signed=person.guardians.all() if person.age(start) < 18 else [],
        )

    def enrol(self, case: Case, day: date) -> None:
        decisions.decide_enrolment(
            case=case,
            by=self.staff["decider"],
            outcome=True,
            decided_on=day,
            reasons="Uppfyller kriterierna för social insatsgrupp.",
            risk_of_reoffending="Hög risk för återfall utan stöd.",
            motivation="Tydligt uttalad vilja att lämna den kriminella livsstilen.",
            needs="Sysselsättning, boende och nytt nätverk.",
            resources="Moster och fotbollstränaren är positiva resurser.",
            criminality="Debut i tidiga tonåren; flera brott, färre det senaste halvåret.",
            legal_reference=self.support,
        )
        case.refresh_from_db()
        self.follow_up(case, FollowUpAssessment.Kind.FIRST, day)

    def decline(self, case: Case, day: date) -> None:
        decisions.decide_enrolment(
            case=case,
            by=self.staff["decider"],
            outcome=False,
            decided_on=day,
            reasons="Polisens lämplighetsbedömning talar emot insats.",
        )

    def follow_up(self, case: Case, kind: str, day: date) -> None:
        rng = self.rng
        second = kind == FollowUpAssessment.Kind.SECOND
        decisions.follow_up_save(
            case=case,
            by=case.coordinator,
            kind=kind,
            assessed_on=day,
            occupation="studies" if second else "none",
            housing=rng.choice(["family", "sublet"]),
            substance_use="occasional" if second else "regular",
            offences_last_six_months=rng.randint(0, 1) if second else rng.randint(2, 6),
            criminal_network="occasional" if second else "regular",
            income="study" if second else "assistance",
            ratings=[
                {"life_area": area, "rating": rng.randint(3, 5) if second else rng.randint(1, 3)}
                for area in inv.unit_life_areas(case)
            ],
        )


def backdate(case: Case, day: date, today: date) -> None:
    """Demo history: the case was registered on `day` (the services stamp today)."""
    Case.objects.filter(pk=case.pk).update(created_at=case.created_at - (today - day))
