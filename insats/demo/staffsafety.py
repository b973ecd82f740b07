"""Demo safety talks and competence checklists, made through the real services.

For the unit's operative staff in name order: the first has a recent talk, signed and shared
with a (fictional) security strategist; the second a talk from last week, not yet signed; the
third a signed talk more than a year old, so it shows as overdue. Anyone further has no talk
(overdue too). The coordinators get a partly filled competence checklist. Idempotent: a unit
that already has talks is left alone.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from insats.access import policy
from insats.organisations.models import Role
from insats.staffsafety import selectors, services
from insats.staffsafety.models import SafetyTalk

SECURITY_OFFICER = ("Säkerhetsstrateg Fiktiva Exempelsson", "sakerhet@exempelstad.invalid")


def load(unit, today=None) -> None:
    today = today or timezone.localdate()
    if SafetyTalk.objects.filter(unit=unit).exists():
        return
    boss = (
        selectors.supervisors(unit.pk)
        .filter(
            memberships__may_decide=True,
            memberships__organisation__unit=unit,
            memberships__role=Role.SUPERVISOR,
        )
        .first()
        or selectors.supervisors(unit.pk).first()
    )
    if boss is None:
        return
    policy.forget_roles(boss)
    services.unit_copy_template_items(unit=unit)
    staff = [user for user in selectors.operative_staff(unit.pk) if user.pk != boss.pk]
    plans = [(90, True, True), (7, False, False), (400, True, True)]
    for user, (days_ago, sign, share) in zip(staff, plans, strict=False):
        _talk(unit, boss, user, today - timedelta(days=days_ago), sign=sign, share=share)
    for index, coordinator in enumerate(selectors.coordinators(unit.pk)):
        if coordinator.pk != boss.pk:
            _competence(unit, boss, coordinator, today, met=5 - 2 * index)


def _talk(unit, boss, user, held_on, *, sign: bool, share: bool) -> None:
    items = list(selectors.checklist_items(unit.pk))
    rows = [
        {
            "item": item,
            "gone_through": position % 4 != 3,
            "comment": "Följs upp vid nästa arbetsplatsträff." if position % 4 == 3 else "",
        }
        for position, item in enumerate(items)
    ]
    talk = services.talk_create(
        unit=unit,
        by=boss,
        employee=user,
        held_on=held_on,
        manager=boss,
        notes=(
            "Gick igenom rutinen vid hot och våld. Medarbetaren ser över sina privata konton "
            "i sociala medier före nästa samtal."
        ),
        items=rows,
    )
    if not sign:
        return
    talk = services.talk_sign(talk=talk, by=boss)
    signed_at = timezone.make_aware(datetime.combine(held_on + timedelta(days=1), time(15)))
    SafetyTalk.objects.filter(pk=talk.pk).update(signed_at=signed_at)  # demo: back-dated
    if share:
        name, email = SECURITY_OFFICER
        services.talk_share(
            talk=talk,
            by=boss,
            name=name,
            email=email,
        )
        SafetyTalk.objects.filter(pk=talk.pk).update(shared_on=held_on + timedelta(days=2))


def _competence(unit, boss, coordinator, today, *, met: int) -> None:
    rows = []
    for index, row in enumerate(selectors.competence_rows(unit.pk, coordinator)):
        done = index < met
        rows.append(
            {
                "item": row.item,
                "met_on": today - timedelta(days=300 - 20 * index) if done else None,
                "note": "" if done else "Anmäld till kommunens utbildning under hösten.",
            }
        )
    services.competence_save(unit=unit, coordinator=coordinator, by=boss, rows=rows)
