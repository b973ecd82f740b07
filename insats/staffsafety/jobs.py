"""Daily reminder: operative staff whose yearly safety talk is due within 30 days or overdue.

Each unit's supervisors get one e-mail listing the staff members newly due. Idempotent: a due
date (or, for someone who never had a talk, the fact that they have none) is reminded once per
staff member (SafetyTalkReminder); a new talk moves the due date, which is reminded in its turn.
"""

import hashlib
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from insats.organisations.models import Membership, Unit
from insats.outbox.services import enqueue

from . import selectors
from .models import SafetyTalkReminder

NEVER = "none"


def remind_due_talks(today: date) -> int:
    """E-mail each unit's supervisors about staff newly due for a talk; return e-mails sent."""
    unit_ids = (
        Membership.objects.filter(
            active=True, role__in=selectors.OPERATIVE_ROLES, user__is_active=True
        )
        .values_list("organisation__unit_id", flat=True)
        .distinct()
    )
    sent = 0
    for unit in Unit.objects.filter(pk__in=unit_ids).order_by("pk"):
        sent += _remind_unit(unit, today)
    return sent


def _remind_unit(unit: Unit, today: date) -> int:
    horizon = today + timedelta(days=selectors.DUE_SOON_DAYS)
    due = [
        row
        for row in selectors.staff_overview(unit, today)
        if row.next_due is None or row.next_due <= horizon
    ]
    if not due:
        return 0
    recipients = sorted(
        set(selectors.supervisors(unit.pk).exclude(email="").values_list("email", flat=True))
    )
    if not recipients:
        return 0  # stays unreminded until a supervisor has an address
    with transaction.atomic():
        claimed = [row for row in due if _claim(unit, row, today)]
        if not claimed:
            return 0
        with translation.override(settings.LANGUAGE_CODE):
            lines = []
            for row in claimed:
                name = row.user.get_full_name() or row.user.get_username()
                if row.next_due is None:
                    lines.append(_("%(name)s: inget undertecknat säkerhetssamtal") % {"name": name})
                else:
                    lines.append(
                        _("%(name)s: nästa samtal senast %(due)s")
                        % {"name": name, "due": row.next_due.isoformat()}
                    )
            # The key names the reminders claimed, so a rerun never enqueues them twice.
            claims = ",".join(sorted(f"{row.user.pk}:{_due_key(row)}" for row in claimed))
            enqueue(
                key=f"safety-talks:{unit.pk}:{today}:{hashlib.sha256(claims.encode()).hexdigest()}",
                to=recipients,
                subject=_("Säkerhetssamtal att hålla – %(unit)s") % {"unit": unit.name},
                body=_(
                    "Följande medarbetare i %(unit)s ska ha ett säkerhetssamtal inom 30 dagar "
                    "eller har inget samtal från det senaste året:\n\n%(lines)s\n\n"
                    "Dokumentera samtalen under Personalsäkerhet."
                )
                % {"unit": unit.name, "lines": "\n".join(f"- {line}" for line in lines)},
            )
        # Enqueued with the claims: the outbox delivers it after commit, with retries.
    return 1


def _due_key(row) -> str:
    return row.next_due.isoformat() if row.next_due else NEVER


def _claim(unit: Unit, row, today: date) -> bool:
    """Mark this due date as reminded; False when an earlier (or concurrent) run did."""
    key = _due_key(row)
    try:
        with transaction.atomic():
            _reminder, created = SafetyTalkReminder.objects.get_or_create(
                unit=unit, employee=row.user, due_key=key, defaults={"sent_on": today}
            )
    except IntegrityError:
        return False
    return created
