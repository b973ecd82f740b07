"""Writing and verifying the hash-chained access log.

Each entry stores the hash of the entry before it, and its own hash covers every field plus
that previous hash: changing or deleting any row breaks the chain from that point on, and
`verify()` names the first broken link. Appends lock one head row so that two requests can
never chain onto the same predecessor.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import AccessLogEntry, AccessLogHead

GENESIS = "0" * 64
Action = AccessLogEntry.Action


def _digest(entry: AccessLogEntry) -> str:
    payload = json.dumps(
        [
            entry.prev_hash,
            entry.at.astimezone(UTC).isoformat(),
            entry.user_id,
            entry.username,
            entry.unit_id,
            entry.case_id,
            entry.person_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.category,
            entry.grounds,
            entry.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    *,
    user,
    action: str,
    object_type: str,
    case=None,
    person=None,
    object_id="",
    category: str = "",
    grounds: Iterable = (),
    detail: str = "",
    unit_id: int | None = None,
) -> AccessLogEntry:
    """Append one entry: who did what to which case/person, and on what ground."""
    if case is not None:
        unit_id = case.unit_id
        if person is None and case.person_id:
            person_id = case.person_id
        else:
            person_id = person.pk if person is not None else None
    else:
        person_id = person.pk if person is not None else None
        if person is not None:
            unit_id = person.unit_id
    authenticated = user is not None and user.is_authenticated
    with transaction.atomic():
        head, _created = AccessLogHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        entry = AccessLogEntry(
            at=timezone.now(),
            user=user if authenticated else None,
            username=user.get_username() if authenticated else "",
            unit_id=unit_id,
            case_id=case.pk if case is not None else None,
            person_id=person_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            category=category,
            grounds="; ".join(str(g) for g in grounds)[:500],
            detail=detail,
            prev_hash=head.last_hash,
        )
        entry.hash = _digest(entry)
        entry.save()
        AccessLogHead.objects.filter(pk=1).update(last_hash=entry.hash, count=F("count") + 1)
    return entry


def record_units(*, user, action: str, object_type: str, unit_ids, detail: str = "") -> None:
    """One entry per unit for a read that spans units (statistics, exports), appended under a
    single lock: each unit's log review sees its own entry, and a read over all 290 units costs
    four queries instead of a thousand."""
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return
    authenticated = user is not None and user.is_authenticated
    with transaction.atomic():
        head, _created = AccessLogHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        previous, entries, now = head.last_hash, [], timezone.now()
        for unit_id in unit_ids:
            entry = AccessLogEntry(
                at=now,
                user=user if authenticated else None,
                username=user.get_username() if authenticated else "",
                unit_id=unit_id,
                action=action,
                object_type=object_type,
                detail=detail,
                prev_hash=previous,
            )
            entry.hash = previous = _digest(entry)
            entries.append(entry)
        # One INSERT with the rows in chain order: both databases number them in that order.
        AccessLogEntry.objects.bulk_create(entries)
        AccessLogHead.objects.filter(pk=1).update(
            last_hash=previous, count=F("count") + len(entries)
        )


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_at: int | None = None  # id of the first entry whose link does not hold
    problem: str = ""


def verify() -> Verification:
    """Walk the chain from the start; report the first entry that does not link or match."""
    expected_prev = GENESIS
    checked = 0
    for entry in AccessLogEntry.objects.order_by("pk").iterator(chunk_size=2000):
        if entry.prev_hash != expected_prev:
            return Verification(
                False, checked, entry.pk, "previous entry missing or changed (link broken)"
            )
        if _digest(entry) != entry.hash:
            return Verification(False, checked, entry.pk, "entry changed (hash mismatch)")
        expected_prev = entry.hash
        checked += 1
    head = AccessLogHead.objects.filter(pk=1).first()
    head_hash = head.last_hash if head else GENESIS
    head_count = head.count if head else 0
    if head_hash != expected_prev or head_count != checked:
        return Verification(False, checked, None, "newest entries missing (head does not match)")
    return Verification(True, checked)
