"""Write use cases of the economy section: enquiries to Kronofogden with the debts of their
answers, and placements with their costs.

Staff write (Section.ECONOMY); partners whose consent covers "economy" only read. Every
function checks the policy and the rules, raises ValidationError with Swedish messages and
never partly saves.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from insats.access import log, policy
from insats.access.policy import Section
from insats.cases.models import Case

from .models import Debt, DebtEnquiry, Placement

SECTION = Section.ECONOMY
ENQUIRY_SUBJECT = gettext_noop("Förfrågan från social insatsgrupp")


def _log(by, case, decision, action, object_id, detail: str = "") -> None:
    log.record(
        user=by,
        action=action,
        object_type=str(SECTION),
        case=case,
        object_id=object_id,
        grounds=decision.grounds,
        detail=detail,
    )


def _not_in_future(day: date | None, field: str, errors: dict) -> None:
    if day is not None and day > timezone.localdate():
        errors[field] = _("Datumet kan inte ligga i framtiden.")


def _check_case(record, case: Case) -> None:
    if record.case_id != case.pk:
        raise ValidationError(_("Uppgiften hör till ett annat ärende."))


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


# --- Kronofogden ----------------------------------------------------------------------------


def default_reply_address(case: Case, by) -> str:
    """The unit's name and the case's coordinator (or the writer, if there is none)."""
    return f"{case.unit.name}\n{_name(case.coordinator or by)}"


def enquiry_text(case: Case, *, reply_address: str, by) -> str:
    """The enquiry to Kronofogden, always in Swedish (it is a letter to a Swedish authority)."""
    person = case.person
    with translation.override("sv"):
        lines = [
            _(ENQUIRY_SUBJECT),
            "",
            _("Hej!"),
            "",
            _(
                "Vi arbetar med en social insatsgrupp för personen nedan och ber om uppgifter om "
                "de skulder som för närvarande finns registrerade hos Kronofogden, både "
                "allmänna och enskilda mål, med belopp och borgenär eller ombud."
            ),
            "",
            _("Namn: %(name)s") % {"name": person.full_name},
            _("Personnummer: %(number)s") % {"number": person.formatted_number},
            "",
            _("Svaret skickas till:"),
            reply_address,
            "",
            _("Tack på förhand."),
            "",
            _("Med vänliga hälsningar"),
            _name(by),
            case.unit.name,
        ]
    return "\n".join(lines)


@transaction.atomic
def debt_enquiry_create(*, case: Case, by, reply_address: str) -> DebtEnquiry:
    """Generate and store the enquiry text; only for an identified case with a number."""
    decision = policy.require_section(by, case, SECTION)
    if case.person is None:
        raise ValidationError(
            _(
                "Ärendet är inte identifierat. En förfrågan till Kronofogden kan bara göras "
                "när personens namn och personnummer är kända."
            )
        )
    if not case.person.formatted_number:
        raise ValidationError(
            _("Personen saknar personnummer. Lägg in numret innan förfrågan skapas.")
        )
    reply_address = reply_address.strip()
    if not reply_address:
        raise ValidationError({"reply_address": _("Ange vart Kronofogden ska skicka svaret.")})
    enquiry = DebtEnquiry.objects.create(
        case=case,
        reply_address=reply_address,
        text=enquiry_text(case, reply_address=reply_address, by=by),
        created_by=by,
    )
    _log(by, case, decision, log.Action.CREATE, enquiry.pk, "debt_enquiry")
    return enquiry


@transaction.atomic
def debt_enquiry_mark_sent(*, case: Case, enquiry: DebtEnquiry, by, sent_on: date) -> DebtEnquiry:
    decision = policy.require_section(by, case, SECTION)
    _check_case(enquiry, case)
    errors: dict = {}
    _not_in_future(sent_on, "sent_on", errors)
    created_on = timezone.localdate(enquiry.created_at)
    if "sent_on" not in errors and sent_on < created_on:
        errors["sent_on"] = _("Förfrågan kan inte ha skickats innan den skapades (%(day)s).") % {
            "day": created_on.isoformat()
        }
    if enquiry.answered_on is not None and sent_on > enquiry.answered_on:
        errors["sent_on"] = _("Förfrågan kan inte ha skickats efter att svaret kom.")
    if errors:
        raise ValidationError(errors)
    enquiry.sent_on = sent_on
    enquiry.save(update_fields=["sent_on"])
    _log(by, case, decision, log.Action.CHANGE, enquiry.pk, f"debt_enquiry sent={sent_on}")
    return enquiry


@transaction.atomic
def debt_enquiry_answer(
    *,
    case: Case,
    enquiry: DebtEnquiry,
    by,
    answered_on: date,
    no_debts: bool = False,
    debts: list[dict] = (),
) -> DebtEnquiry:
    """Record Kronofogden's answer. `debts`: dicts with kind, creditor, amount. An answer
    given again replaces the debts of the earlier one (a correction)."""
    decision = policy.require_section(by, case, SECTION)
    _check_case(enquiry, case)
    debts = list(debts)
    errors: dict = {}
    _not_in_future(answered_on, "answered_on", errors)
    if "answered_on" not in errors:
        if enquiry.sent_on is None:
            errors["answered_on"] = _("Markera förfrågan som skickad innan svaret registreras.")
        elif answered_on < enquiry.sent_on:
            errors["answered_on"] = _(
                "Svaret kan inte ha kommit innan förfrågan skickades (%(day)s)."
            ) % {"day": enquiry.sent_on.isoformat()}
    if no_debts and debts:
        errors["no_debts"] = _(
            "Svaret kan inte både visa inga skulder och ha skulder. Ta bort skuldraderna eller "
            "kryssa ur rutan."
        )
    elif not no_debts and not debts:
        errors["no_debts"] = _(
            "Registrera minst en skuld, eller kryssa i att svaret visar inga skulder."
        )
    for number, debt in enumerate(debts, start=1):
        if debt.get("kind") not in Debt.Kind.values:
            errors.setdefault("debts", []).append(
                _("Skuld %(number)s: välj typ av skuld.") % {"number": number}
            )
        if not (debt.get("creditor") or "").strip():
            errors.setdefault("debts", []).append(
                _("Skuld %(number)s: ange borgenär eller ombud.") % {"number": number}
            )
        amount = debt.get("amount")
        if amount is None or amount <= 0:
            errors.setdefault("debts", []).append(
                _("Skuld %(number)s: beloppet måste vara större än noll.") % {"number": number}
            )
    if errors:
        raise ValidationError(errors)
    corrected = enquiry.answered_on is not None
    enquiry.answered_on = answered_on
    enquiry.no_debts = no_debts
    enquiry.save(update_fields=["answered_on", "no_debts"])
    enquiry.debts.all().delete()
    Debt.objects.bulk_create(
        Debt(
            enquiry=enquiry,
            kind=d["kind"],
            creditor=d["creditor"].strip(),
            amount=d["amount"],
        )
        for d in debts
    )
    _log(
        by,
        case,
        decision,
        log.Action.CHANGE,
        enquiry.pk,
        f"debt_enquiry answered={answered_on} debts={len(debts)}"
        + (" corrected" if corrected else ""),
    )
    return enquiry


# --- Placements -----------------------------------------------------------------------------


@dataclass
class PlacementCost:
    placement: Placement
    days: int
    cost: Decimal


def placement_costs(placements, start: date, end: date) -> tuple[list[PlacementCost], Decimal]:
    """Days and cost of each placement within [start, end], and the sum."""
    rows = []
    for placement in placements:
        days = placement.days_within(start, end)
        rows.append(PlacementCost(placement, days, placement.daily_cost * days))
    return rows, sum((row.cost for row in rows), Decimal(0))


def _check_placement(*, kind, provider, starts_on, ends_on, daily_cost) -> dict:
    errors: dict = {}
    if kind not in Placement.Kind.values:
        errors["kind"] = _("Välj typ av placering.")
    if not (provider or "").strip():
        errors["provider"] = _("Ange utförare.")
    if starts_on is None:
        errors["starts_on"] = _("Ange när placeringen började.")
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("Slutdatumet kan inte vara före startdatumet.")
    if daily_cost is None:
        errors["daily_cost"] = _("Ange dygnskostnaden.")
    elif daily_cost < 0:
        errors["daily_cost"] = _("Dygnskostnaden kan inte vara negativ.")
    return errors


def _placement_detail(placement: Placement) -> str:
    return (
        f"placement kind={placement.kind} from={placement.starts_on} "
        f"to={placement.ends_on or ''} daily_cost={placement.daily_cost}"
    )


@transaction.atomic
def placement_save(
    *,
    case: Case,
    by,
    kind: str,
    provider: str,
    starts_on: date,
    ends_on: date | None,
    daily_cost: Decimal,
    placement: Placement | None = None,
) -> Placement:
    """Add a placement, or change `placement`. `ends_on` None: still going on."""
    decision = policy.require_section(by, case, SECTION)
    if placement is not None:
        _check_case(placement, case)
    errors = _check_placement(
        kind=kind, provider=provider, starts_on=starts_on, ends_on=ends_on, daily_cost=daily_cost
    )
    if errors:
        raise ValidationError(errors)
    created = placement is None
    if created:
        placement = Placement(case=case, recorded_by=by)
    placement.kind = kind
    placement.provider = provider.strip()
    placement.starts_on = starts_on
    placement.ends_on = ends_on
    placement.daily_cost = daily_cost
    placement.save()
    _log(
        by,
        case,
        decision,
        log.Action.CREATE if created else log.Action.CHANGE,
        placement.pk,
        _placement_detail(placement),
    )
    return placement


@transaction.atomic
def placement_delete(*, case: Case, by, placement: Placement) -> None:
    decision = policy.require_section(by, case, SECTION)
    _check_case(placement, case)
    pk, detail = placement.pk, _placement_detail(placement)
    placement.delete()
    # The log has no "deleted" action; a change whose detail says so.
    _log(by, case, decision, log.Action.CHANGE, pk, f"deleted {detail}")
