"""The conditions for enrolment, and which of them a case does not yet meet.

SPEC §3 and seed 001: enrolment needs a valid consent towards the police, a police suitability
assessment that is not "not suitable", a completed needs and resource inventory, a completed
threat assessment (supervisor informed), and separation of duties — the decision maker holds
the delegation and is neither the investigator nor the coordinator. A refusal names every
condition that is missing, not just the first.

Computed for many cases at once with a fixed number of queries, so that the supervisor's list
of cases waiting for decision costs the same for 5 cases as for 500.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import policy
from insats.cases.models import Case
from insats.consent.models import Consent
from insats.investigation.models import Inventory, PoliceAssessment, ThreatAssessment
from insats.organisations.models import Organisation


@dataclass(frozen=True)
class Condition:
    code: str
    met: bool
    message: str  # what is missing, in the user's language; shown only when not met


CODES = ("consent", "police", "inventory", "threat", "duties")


def _latest(model, order):
    """Per case: the field values of the newest current record of `model`."""
    return model.objects.filter(case=OuterRef("pk"), superseded_at__isnull=True).order_by(*order)


def conditions_for(cases, decider, day: date | None = None) -> dict[int, list[Condition]]:
    """Every enrolment condition for each case, met or not (five queries for any number)."""
    day = day or timezone.localdate()
    cases = list(cases)
    ids = [c.pk for c in cases]
    with_police_consent = set(
        Consent.objects.active_on(day)
        .filter(case_id__in=ids, organisations__kind=Organisation.Kind.POLICE)
        .values_list("case_id", flat=True)
    )
    latest = {
        row["pk"]: row
        for row in Case.objects.filter(pk__in=ids)
        .annotate(
            police=Subquery(
                _latest(PoliceAssessment, ("-assessed_on", "-recorded_at")).values("outcome")[:1]
            ),
            threat_done=Subquery(
                _latest(ThreatAssessment, ("-assessed_on", "-recorded_at")).values("completed")[:1]
            ),
        )
        .values("pk", "police", "threat_done")
    }
    with_inventory = set(
        Inventory.objects.filter(case_id__in=ids, superseded_at__isnull=True, completed=True)
        .values_list("case_id", flat=True)
        .distinct()
    )
    roles = policy.roles_of(decider)
    result = {}
    for case in cases:
        police = latest[case.pk]["police"]
        duties = _duties_message(case, decider, roles)
        result[case.pk] = [
            Condition(
                "consent",
                case.pk in with_police_consent,
                _("Det finns inget giltigt samtycke som omfattar polisen."),
            ),
            Condition(
                "police",
                police is not None and police != PoliceAssessment.Outcome.NOT_SUITABLE,
                _("Polisen har bedömt personen som inte lämplig.")
                if police == PoliceAssessment.Outcome.NOT_SUITABLE
                else _("Polisens lämplighetsbedömning saknas."),
            ),
            Condition(
                "inventory",
                case.pk in with_inventory,
                _("Ingen behovs- och resursinventering är markerad som klar."),
            ),
            Condition(
                "threat",
                bool(latest[case.pk]["threat_done"]),
                _("Hotbildsbedömningen är inte klar (arbetsledaren ska vara informerad)."),
            ),
            Condition("duties", duties is None, duties or ""),
        ]
    return result


def _duties_message(case: Case, decider, roles) -> str | None:
    if case.unit_id not in roles.deciding_units:
        return _("%(user)s har inte delegation att besluta om inskrivning.") % {"user": decider}
    if decider.pk in (case.investigator_id, case.coordinator_id):
        return _(
            "Beslutsfattaren får inte vara ärendets utredare eller lots (åtskillnad av uppgifter)."
        )
    return None


def blockers(case: Case, decider, day: date | None = None) -> list[str]:
    """What stands in the way of this decider enrolling this case; empty when nothing does."""
    return [c.message for c in conditions_for([case], decider, day)[case.pk] if not c.met]


def police_needs_more_information(case: Case) -> bool:
    """Not blocking, but the decider should see it: the police asked for more information."""
    latest = (
        PoliceAssessment.objects.filter(case=case, superseded_at__isnull=True)
        .order_by("-assessed_on", "-recorded_at")
        .values_list("outcome", flat=True)
        .first()
    )
    return latest == PoliceAssessment.Outcome.MORE_INFORMATION
