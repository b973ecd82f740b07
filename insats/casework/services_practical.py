"""Write use case for the practical-matters checklist of a case (ID card, bank account, …).

The checklist follows the unit's active PracticalMatter list; a case gets a CasePracticalMatter
row for an item the first time something is recorded for it. Staff only (Section.PRACTICAL).
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.policy import Section
from insats.cases.models import Case
from insats.organisations.models import PracticalMatter

from .models import CasePracticalMatter

SECTION = Section.PRACTICAL
CONFLICT = "conflict"


def unit_matters(case: Case):
    """The unit's active checklist items, in the unit's order."""
    return PracticalMatter.objects.filter(unit_id=case.unit_id, active=True).order_by(
        "position", "label"
    )


@dataclass
class ChecklistRow:
    matter: PracticalMatter
    record: CasePracticalMatter | None

    @property
    def done_on(self) -> date | None:
        return self.record.done_on if self.record else None

    @property
    def note(self) -> str:
        return self.record.note if self.record else ""

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    @property
    def stamp(self) -> str:
        return stamp(self.done_on, self.note)


def stamp(done_on: date | None, note: str) -> str:
    """The saved values of a row as the form carries them (hidden), so that saving can tell
    what the user changed from what someone else changed meanwhile."""
    return f"{done_on.isoformat() if done_on else ''}|{note}"


def _parse_stamp(value: str) -> tuple[date | None, str]:
    day, _bar, note = value.partition("|")
    try:
        return (date.fromisoformat(day) if day else None), note
    except ValueError:
        raise ValidationError(
            _("Formuläret kunde inte läsas. Ladda om sidan och försök igen.")
        ) from None


def checklist(case: Case) -> list[ChecklistRow]:
    """One row per active item of the unit's list, with what is recorded for the case (2
    queries, however long the list)."""
    records = {
        r.matter_id: r
        for r in CasePracticalMatter.objects.filter(case=case).select_related("updated_by")
    }
    return [ChecklistRow(matter, records.get(matter.pk)) for matter in unit_matters(case)]


@transaction.atomic
def practical_save(*, case: Case, by, rows: list[dict]) -> list[CasePracticalMatter]:
    """Save the checklist. `rows`: dicts with matter (PracticalMatter), done_on (date or None),
    note and optionally seen (the row's stamp() when the form was shown). A row that records
    nothing new is left as it is; an item gets its case row the first time something is
    recorded for it. With `seen`, a row the user did not change is left alone even if someone
    else changed it meanwhile, and a row both changed differently is a conflict: then nothing
    is saved. Returns the rows created or changed."""
    decision = policy.require_section(by, case, SECTION)
    matters = {m.pk: m for m in unit_matters(case)}
    errors: dict = {}
    today = timezone.localdate()
    matter_ids: set[int] = set()
    for row in rows:
        matter = row["matter"]
        if matter.pk not in matters:
            raise ValidationError(
                _("Frågan finns inte i enhetens lista. Ladda om sidan och försök igen.")
            )
        if matter.pk in matter_ids:
            raise ValidationError(_("En fråga kan bara finnas en gång i listan."))
        matter_ids.add(matter.pk)
        done_on = row.get("done_on")
        if done_on is not None and done_on > today:
            errors.setdefault("rows", []).append(
                _("%(matter)s: datumet kan inte ligga i framtiden.") % {"matter": matter}
            )
    if errors:
        raise ValidationError(errors)
    existing = {
        r.matter_id: r
        for r in CasePracticalMatter.objects.select_for_update().filter(
            case=case, matter_id__in=list(matter_ids)
        )
    }
    changes = []
    conflicts = []
    for row in rows:
        matter = row["matter"]
        done_on = row.get("done_on")
        note = (row.get("note") or "").strip()
        record = existing.get(matter.pk)
        wanted = (done_on, note)
        saved = (record.done_on, record.note) if record is not None else (None, "")
        if row.get("seen") is not None:
            shown = _parse_stamp(row["seen"])
            if wanted == shown:
                continue  # not changed by this user; keep whatever is saved now
            if saved not in (shown, wanted):
                conflicts.append(str(matter))
        if wanted == saved:
            continue
        changes.append((matter, record, done_on, note))
    if conflicts:
        raise ValidationError(
            _(
                "Någon annan har ändrat %(matters)s medan du skrev. Ingenting har sparats. "
                "Det du skrev finns kvar i formuläret: jämför med det som nu är sparat och "
                "spara igen."
            )
            % {"matters": ", ".join(conflicts)},
            code=CONFLICT,
        )
    changed = []
    for matter, record, done_on, note in changes:
        if record is None:
            record = CasePracticalMatter(case=case, matter=matter)
        record.done_on = done_on
        record.note = note
        record.updated_by = by
        record.save()
        changed.append(record)
    if changed:
        log.record(
            user=by,
            action=log.Action.CHANGE,
            object_type=str(SECTION),
            case=case,
            object_id=case.pk,
            grounds=decision.grounds,
            detail="matters=" + ",".join(str(r.matter_id) for r in changed),
        )
    return changed
