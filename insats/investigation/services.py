"""Write use cases for the investigation: each saves a new version and logs it.

Forms hand over plain values (and child rows as lists of dicts); these functions check the
access policy and the rules, raise ValidationError with Swedish messages, and never partly save.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.policy import Section
from insats.cases.models import Case
from insats.core.records import save_version
from insats.organisations.models import CrimeType, LifeArea, Organisation, Role

from .models import (
    CriminalityItem,
    CriminalityProfile,
    InformationLetter,
    Inventory,
    InventoryRating,
    LetterHandover,
    NetworkPerson,
    PoliceAssessment,
    ResourceMapping,
    ThreatAssessment,
    ThreatLevel,
    ThreatMeasure,
)


def _log(by, case, record, decision, section: Section) -> None:
    log.record(
        user=by,
        action=log.Action.CREATE if record.version == 1 else log.Action.CHANGE,
        object_type=str(section),
        case=case,
        object_id=record.pk,
        grounds=decision.grounds,
        detail=f"version={record.version}",
    )


def _not_in_future(day: date | None, field: str, errors: dict) -> None:
    if day is not None and day > timezone.localdate():
        errors[field] = _("Datumet kan inte ligga i framtiden.")


def _check_previous(previous, case: Case) -> None:
    if previous is not None and previous.case_id != case.pk:
        raise ValidationError(_("Versionen hör till ett annat ärende."))


# --- Inventory ------------------------------------------------------------------------------


def unit_life_areas(case: Case):
    return LifeArea.objects.filter(unit_id=case.unit_id, active=True)


@transaction.atomic
def inventory_save(
    *,
    case: Case,
    by,
    assessed_on: date,
    ratings: list[dict],
    motivation: int | None = None,
    motivation_note: str = "",
    priorities: list[LifeArea] = (),
    completed: bool = False,
    previous: Inventory | None = None,
) -> Inventory:
    """Save an inventory. `ratings`: one dict per life area (life_area, own_rating,
    staff_rating, wants_change, note). A complete inventory rates every active life area
    from both sides and states the motivation and at least one priority."""
    decision = policy.require_section(by, case, Section.INVENTORY)
    _check_previous(previous, case)
    errors: dict = {}
    _not_in_future(assessed_on, "assessed_on", errors)
    areas = {a.pk: a for a in unit_life_areas(case)}
    priorities = [p for p in priorities if p is not None]
    if len({p.pk for p in priorities}) != len(priorities):
        errors["priorities"] = _("Ett område kan bara prioriteras en gång.")
    if any(p.pk not in areas for p in priorities):
        errors["priorities"] = _("Välj områden ur enhetens lista.")
    if any(r["life_area"].pk not in areas for r in ratings):
        raise ValidationError(_("Livsområdet finns inte i enhetens lista."))
    if completed:
        rated = {
            r["life_area"].pk
            for r in ratings
            if r.get("own_rating") is not None and r.get("staff_rating") is not None
        }
        missing = [str(a) for pk, a in areas.items() if pk not in rated]
        if missing:
            errors["completed"] = _(
                "Inventeringen kan inte markeras som klar: både egen skattning och "
                "personalens skattning saknas eller är ofullständiga för %(areas)s."
            ) % {"areas": ", ".join(missing)}
        elif motivation is None:
            errors["motivation"] = _("Ange motivation innan inventeringen markeras som klar.")
        elif not priorities:
            errors["priorities"] = _(
                "Ange minst ett prioriterat område innan inventeringen markeras som klar."
            )
    if errors:
        raise ValidationError(errors)
    inventory = Inventory(
        case=case,
        assessed_on=assessed_on,
        motivation=motivation,
        motivation_note=motivation_note.strip(),
        completed=completed,
    )
    for index, area in enumerate(priorities[:3], start=1):
        setattr(inventory, f"priority_{index}", area)
    save_version(inventory, by=by, previous=previous)
    InventoryRating.objects.bulk_create(
        InventoryRating(
            inventory=inventory,
            life_area=r["life_area"],
            own_rating=r.get("own_rating"),
            staff_rating=r.get("staff_rating"),
            wants_change=r.get("wants_change"),
            note=(r.get("note") or "").strip(),
        )
        for r in ratings
    )
    _log(by, case, inventory, decision, Section.INVENTORY)
    return inventory


# --- Information letter ---------------------------------------------------------------------


def current_letter(unit_id: int) -> InformationLetter | None:
    return InformationLetter.objects.filter(unit_id=unit_id, active=True).first()


@transaction.atomic
def letter_handover_record(
    *,
    case: Case,
    by,
    letter: InformationLetter,
    handed_over_on: date,
    handed_over_by,
    note: str = "",
) -> LetterHandover:
    decision = policy.require_section(by, case, Section.LETTER)
    errors: dict = {}
    if letter.unit_id != case.unit_id:
        errors["letter"] = _("Brevet hör till en annan enhet.")
    _not_in_future(handed_over_on, "handed_over_on", errors)
    if not policy.roles_of(handed_over_by).in_unit(case.unit_id) & policy.STAFF:
        errors["handed_over_by"] = _("Välj någon i enhetens socialtjänst.")
    if errors:
        raise ValidationError(errors)
    handover = LetterHandover.objects.create(
        case=case,
        letter=letter,
        handed_over_on=handed_over_on,
        handed_over_by=handed_over_by,
        note=note.strip(),
        recorded_by=by,
    )
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type=str(Section.LETTER),
        case=case,
        object_id=handover.pk,
        grounds=decision.grounds,
    )
    return handover


# --- Police suitability assessment ----------------------------------------------------------


@transaction.atomic
def police_assessment_save(
    *,
    case: Case,
    by,
    outcome: str,
    reasoning: str,
    assessed_on: date,
    previous: PoliceAssessment | None = None,
) -> PoliceAssessment:
    """Only a police member of the case's group records this (policy.decide_section)."""
    decision = policy.require_section(by, case, Section.POLICE_ASSESSMENT)
    _check_previous(previous, case)
    errors: dict = {}
    if outcome not in PoliceAssessment.Outcome.values:
        errors["outcome"] = _("Välj en bedömning.")
    if not reasoning.strip():
        errors["reasoning"] = _("Skriv en motivering.")
    _not_in_future(assessed_on, "assessed_on", errors)
    if errors:
        raise ValidationError(errors)
    assessment = PoliceAssessment(
        case=case,
        outcome=outcome,
        reasoning=reasoning.strip(),
        assessed_on=assessed_on,
        organisation=policy.police_organisation_of(by, case),
    )
    save_version(assessment, by=by, previous=previous)
    _log(by, case, assessment, decision, Section.POLICE_ASSESSMENT)
    return assessment


# --- Criminality profile --------------------------------------------------------------------


@transaction.atomic
def criminality_save(
    *,
    case: Case,
    by,
    volume: str,
    items: list[dict],
    age_at_first_offence: int | None = None,
    debut_basis: str = "",
    offences_last_six_months: int | None = None,
    recent_basis: str = "",
    note: str = "",
    previous: CriminalityProfile | None = None,
) -> CriminalityProfile:
    """`items`: dicts with crime_type, basis, source, noted_on, note."""
    decision = policy.require_section(by, case, Section.CRIMINALITY)
    _check_previous(previous, case)
    errors: dict = {}
    if age_at_first_offence is not None:
        if not debut_basis:
            errors["debut_basis"] = _("Ange om debutåldern är självrapporterad eller konstaterad.")
        if age_at_first_offence > case.age_at_intake:
            errors["age_at_first_offence"] = _(
                "Debutåldern kan inte vara högre än åldern vid aktualiseringen."
            )
    if offences_last_six_months is not None and not recent_basis:
        errors["recent_basis"] = _(
            "Ange om uppgiften om de senaste sex månaderna är självrapporterad eller konstaterad."
        )
    if any(i["crime_type"].unit_id != case.unit_id for i in items):
        errors["items"] = _("Brottstypen finns inte i enhetens lista.")
    for item in items:
        if item.get("noted_on") and item["noted_on"] > timezone.localdate():
            errors["items"] = _("Datumet kan inte ligga i framtiden.")
    if errors:
        raise ValidationError(errors)
    profile = CriminalityProfile(
        case=case,
        age_at_first_offence=age_at_first_offence,
        debut_basis=debut_basis if age_at_first_offence is not None else "",
        volume=volume,
        offences_last_six_months=offences_last_six_months,
        recent_basis=recent_basis if offences_last_six_months is not None else "",
        note=note.strip(),
    )
    save_version(profile, by=by, previous=previous)
    CriminalityItem.objects.bulk_create(
        CriminalityItem(
            profile=profile,
            crime_type=i["crime_type"],
            basis=i["basis"],
            source=i["source"].strip(),
            noted_on=i["noted_on"],
            note=(i.get("note") or "").strip(),
        )
        for i in items
    )
    _log(by, case, profile, decision, Section.CRIMINALITY)
    return profile


def crime_types(case: Case):
    return CrimeType.objects.filter(unit_id=case.unit_id, active=True)


# --- Resource mapping -----------------------------------------------------------------------


@transaction.atomic
def resources_save(
    *,
    case: Case,
    by,
    people: list[dict],
    needed_organisations: list[Organisation] = (),
    note: str = "",
    previous: ResourceMapping | None = None,
) -> ResourceMapping:
    """`people`: dicts with name, relation, phone, email, may_contact, covered_by_consent."""
    decision = policy.require_section(by, case, Section.RESOURCES)
    _check_previous(previous, case)
    needed_organisations = list(needed_organisations)
    if any(o.unit_id != case.unit_id for o in needed_organisations):
        raise ValidationError(
            {"needed_organisations": _("Organisationen hör inte till enhetens samverkan.")}
        )
    mapping = ResourceMapping(case=case, note=note.strip())
    save_version(mapping, by=by, previous=previous)
    mapping.needed_organisations.set(needed_organisations)
    NetworkPerson.objects.bulk_create(
        NetworkPerson(
            mapping=mapping,
            name=p["name"].strip(),
            relation=p["relation"].strip(),
            phone=(p.get("phone") or "").strip(),
            email=(p.get("email") or "").strip(),
            may_contact=bool(p.get("may_contact")),
            covered_by_consent=bool(p.get("covered_by_consent")),
        )
        for p in people
    )
    _log(by, case, mapping, decision, Section.RESOURCES)
    return mapping


# --- Threat assessment ----------------------------------------------------------------------


@transaction.atomic
def threat_save(
    *,
    case: Case,
    by,
    assessed_on: date,
    level: str,
    description: str,
    measures: list[dict],
    source_person: bool = False,
    source_police: bool = False,
    source_other: str = "",
    security_officer: str = "",
    supervisor_informed=None,
    supervisor_informed_on: date | None = None,
    completed: bool = False,
    previous: ThreatAssessment | None = None,
) -> ThreatAssessment:
    """`measures`: dicts with description, responsible, organisation, due_on, done_on.

    A threat assessment is complete only when a supervisor has been informed (named and dated)
    and it has a source; a high threat needs at least one measure decided with the police.
    """
    decision = policy.require_section(by, case, Section.THREAT)
    _check_previous(previous, case)
    errors: dict = {}
    if level not in ThreatLevel.values:
        errors["level"] = _("Välj bedömd hotbild.")
    if not description.strip():
        errors["description"] = _("Beskriv hotbilden och vad bedömningen grundar sig på.")
    _not_in_future(assessed_on, "assessed_on", errors)
    _not_in_future(supervisor_informed_on, "supervisor_informed_on", errors)
    if supervisor_informed is not None:
        supervisors = policy.unit_staff(case.unit_id, {Role.SUPERVISOR})
        if not supervisors.filter(pk=supervisor_informed.pk).exists():
            errors["supervisor_informed"] = _("Välj en arbetsledare i enheten.")
        elif supervisor_informed_on is None:
            errors["supervisor_informed_on"] = _("Ange när arbetsledaren informerades.")
    elif supervisor_informed_on is not None:
        errors["supervisor_informed"] = _("Ange vilken arbetsledare som informerades.")
    if any(m.get("organisation") and m["organisation"].unit_id != case.unit_id for m in measures):
        errors["measures"] = _("Organisationen hör inte till enhetens samverkan.")
    if completed:
        if supervisor_informed is None or supervisor_informed_on is None:
            errors["completed"] = _(
                "Bedömningen kan inte markeras som klar förrän arbetsledaren är informerad "
                "(namn och datum)."
            )
        elif not (source_person or source_police or source_other.strip()):
            errors["completed"] = _("Ange vad bedömningen grundar sig på (källor).")
        elif level == ThreatLevel.HIGH and not measures:
            errors["measures"] = _(
                "Vid hög hotbild ska åtgärder beslutas tillsammans med polisen innan "
                "bedömningen är klar."
            )
    if errors:
        raise ValidationError(errors)
    assessment = ThreatAssessment(
        case=case,
        assessed_on=assessed_on,
        level=level,
        description=description.strip(),
        source_person=source_person,
        source_police=source_police,
        source_other=source_other.strip(),
        security_officer=security_officer.strip(),
        supervisor_informed=supervisor_informed,
        supervisor_informed_on=supervisor_informed_on,
        completed=completed,
    )
    save_version(assessment, by=by, previous=previous)
    ThreatMeasure.objects.bulk_create(
        ThreatMeasure(
            assessment=assessment,
            description=m["description"].strip(),
            responsible=m["responsible"].strip(),
            organisation=m.get("organisation"),
            due_on=m["due_on"],
            done_on=m.get("done_on"),
        )
        for m in measures
    )
    _log(by, case, assessment, decision, Section.THREAT)
    return assessment
