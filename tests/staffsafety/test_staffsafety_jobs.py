"""The daily reminder of safety talks due within 30 days: once per due date, to the unit's
supervisors, and only about their own unit's staff."""

from datetime import date, timedelta

from django.core import mail

from insats.organisations.models import User
from insats.staffsafety.jobs import remind_due_talks
from insats.staffsafety.models import SafetyTalkReminder
from tests.outbox.helpers import deliver
from tests.staffsafety.conftest import make_talk

DAY = date(2031, 3, 10)


def give_addresses(world) -> None:
    for user in (world.supervisor, world.supervisor_without_delegation):
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@exempel.invalid")


def test_supervisors_are_reminded_once_per_due_date(unit_a, unit_b, frozen_today):
    give_addresses(unit_a)
    with frozen_today(DAY):
        make_talk(unit_a, employee=unit_a.coordinator, held_on=DAY - timedelta(days=100), sign=True)
        make_talk(unit_a, employee=unit_a.coordinator2, held_on=date(2030, 3, 25), sign=True)
        # investigator: no talk at all.

    sent = remind_due_talks(DAY)

    assert sent == 1  # unit B's supervisors have no address and wait
    deliver()
    (message,) = mail.outbox
    assert sorted(message.to) == ["alfa-arbetsledare@exempel.invalid", "alfa-chef@exempel.invalid"]
    assert "Alfa-lots2 Testsson: nästa samtal senast 2031-03-25" in message.body
    assert "Alfa-utredare Testsson: inget undertecknat säkerhetssamtal" in message.body
    assert "Alfa-lots Testsson" not in message.body  # on time
    assert "Beta" not in message.body

    assert remind_due_talks(DAY) == 0
    assert remind_due_talks(DAY + timedelta(days=1)) == 0
    deliver()
    assert len(mail.outbox) == 1

    # A new talk moves the due date; a year later it is reminded again.
    with frozen_today(DAY):
        make_talk(unit_a, employee=unit_a.coordinator2, held_on=DAY, sign=True)
    later = DAY + timedelta(days=340)
    assert remind_due_talks(later) == 1
    deliver()
    assert "Alfa-lots2 Testsson: nästa samtal senast 2032-03-10" in mail.outbox[-1].body
    assert SafetyTalkReminder.objects.filter(employee=unit_a.coordinator2).count() == 2
