"""The unit's returnee register: young people placed in a SiS home or with Kriminalvården, and
the day they come home, so that a plan is ready on that day.

The register is the unit's, kept by its social-services staff. An entry names either one of
the unit's cases or, when there is no case yet, the person's name (never both). Names of people
without a case are personal data too: every save is logged.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insats.access import log, policy
from insats.cases.models import Case
from insats.organisations.models import Unit
from insats.plans.models import ActionPlan

from .models import Returnee

OBJECT_TYPE = "returnee"
WARN_DAYS = 30  # a plan should be ready this many days before the return


def age_warning(kind: str, age: int | None) -> str:
    """The warning (not an error) when the age is outside the kind's target group."""
    limits = Returnee.AGE_RANGES.get(kind)
    if limits is None or age is None or limits[0] <= age <= limits[1]:
        return ""
    return _(
        "Åldern %(age)s ligger utanför målgruppen för %(kind)s. "
        "Uppgiften sparas ändå; kontrollera att den stämmer."
    ) % {"age": age, "kind": Returnee.Kind(kind).label}


def _already_listed(unit: Unit, case: Case, returnee: Returnee | None) -> bool:
    """Does another entry of the unit, not yet back home, name this case?"""
    others = Returnee.objects.filter(unit=unit, case=case, returned_on__isnull=True)
    if returnee is not None:
        others = others.exclude(pk=returnee.pk)
    return others.exists()


@transaction.atomic
def returnee_save(
    *,
    unit: Unit,
    by,
    returnee: Returnee | None = None,
    kind: str,
    case: Case | None = None,
    name: str = "",
    age: int | None,
    institution: str,
    expected_on: date | None,
    note: str = "",
    returned_on: date | None = None,
) -> Returnee:
    """Add an entry to the unit's register (returnee=None) or change one.

    Only the unit's social-services staff write its register; the policy refuses anyone else.
    """
    if returnee is not None and returnee.unit_id != unit.pk:
        raise ValueError("An entry is changed within its own unit.")
    policy.require_staff(by, unit.pk)
    name = name.strip()
    errors: dict = {}
    if kind not in Returnee.Kind.values:
        errors["kind"] = _("Välj var personen är placerad.")
    if case is not None and name:
        errors["name"] = _("Välj ett ärende eller skriv ett namn, inte båda.")
    elif case is None and not name:
        errors["case"] = _("Välj ett ärende eller skriv personens namn.")
    elif case is not None:
        visible = policy.cases_visible_to(by).filter(pk=case.pk, unit_id=unit.pk).exists()
        if not visible:
            errors["case"] = _("Välj ett av enhetens ärenden.")
        elif _already_listed(unit, case, returnee):
            errors["case"] = _("Ärendet finns redan i registret utan hemkomstdatum.")
    if age is None:
        errors["age"] = _("Ange personens ålder.")
    elif not 1 <= age <= 99:
        errors["age"] = _("Ange en ålder mellan 1 och 99 år.")
    if not institution.strip():
        errors["institution"] = _("Ange institution eller anstalt.")
    if expected_on is None:
        errors["expected_on"] = _("Ange beräknat datum för hemkomst eller frigivning.")
    if returned_on is not None and returned_on > timezone.localdate():
        errors["returned_on"] = _("Datumet kan inte ligga i framtiden.")
    if errors:
        raise ValidationError(errors)

    created = returnee is None
    if created:
        returnee = Returnee(unit=unit, recorded_by=by)
    returnee.kind = kind
    returnee.case = case
    returnee.name = name
    returnee.age = age
    returnee.institution = institution.strip()
    returnee.expected_on = expected_on
    returnee.note = note.strip()
    returnee.returned_on = returned_on
    returnee.save()
    log.record(
        user=by,
        action=log.Action.CREATE if created else log.Action.CHANGE,
        object_type=OBJECT_TYPE,
        case=case,
        unit_id=unit.pk,
        object_id=returnee.pk,
        detail=f"kind={kind}{' returned' if returned_on else ''}",
    )
    return returnee


# --- The register as a list -----------------------------------------------------------------


class PlanStatus:
    NONE = "none"
    DRAFT = ActionPlan.Status.DRAFT.value
    READY = ActionPlan.Status.READY.value


PLAN_STATUS_LABELS = {
    PlanStatus.NONE: gettext_lazy("Ingen plan"),
    PlanStatus.DRAFT: gettext_lazy("Utkast"),
    PlanStatus.READY: gettext_lazy("Klar"),
}


@dataclass
class Row:
    """One entry of the register as the list shows it."""

    returnee: Returnee
    plan_status: str
    days_until: int
    is_past: bool
    needs_plan: bool  # back within WARN_DAYS days and the plan is not ready
    age_warning: str

    @property
    def days_ago(self) -> int:
        return -self.days_until

    @property
    def plan_status_label(self) -> str:
        return str(PLAN_STATUS_LABELS[self.plan_status])


def plan_status(returnee: Returnee) -> str:
    """ "none" / "draft" / "ready" from the linked case's action plan (no case: no plan)."""
    if returnee.case is None:
        return PlanStatus.NONE
    plan = getattr(returnee.case, "plan", None)
    return plan.status if plan is not None else PlanStatus.NONE


def register_rows(returnees, today: date | None = None) -> list[Row]:
    """The entries as rows: upcoming ones first (soonest first), then past ones (latest first).

    `returnees` should come with select_related("case__plan") so that this runs no queries.
    """
    today = today or timezone.localdate()
    rows = []
    for returnee in returnees:
        days = (returnee.expected_on - today).days
        status = plan_status(returnee)
        rows.append(
            Row(
                returnee=returnee,
                plan_status=status,
                days_until=days,
                is_past=days < 0 or returnee.returned_on is not None,
                needs_plan=returnee.returned_on is None
                and 0 <= days <= WARN_DAYS
                and status != PlanStatus.READY,
                age_warning=age_warning(returnee.kind, returnee.age),
            )
        )
    upcoming = sorted(
        (r for r in rows if not r.is_past), key=lambda r: (r.days_until, r.returnee.pk)
    )
    past = sorted((r for r in rows if r.is_past), key=lambda r: (-r.days_until, -r.returnee.pk))
    return upcoming + past
