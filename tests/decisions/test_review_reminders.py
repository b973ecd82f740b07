"""Reminders that support is due for re-examination (at least every six months): the daily job
e-mails the unit's supervisors once per review date, 14 days ahead."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.decisions import services
from insats.decisions.jobs import REMIND_DAYS_BEFORE, notify_due_reviews
from insats.decisions.models import CaseDecision
from insats.organisations.models import DischargeReason, LegalReference, Membership
from tests import builders
from tests.outbox.helpers import deliver


@pytest.fixture
def reachable(unit_a, unit_b):
    """Give every supervisor of both units an (invented) e-mail address."""
    for world in (unit_a, unit_b):
        for user in (world.supervisor, world.supervisor_without_delegation, world.coordinator):
            user.email = f"{user.username}@example.org"
            user.save()
    return unit_a


def enrolled(world, *, decided_on):
    case = builders.enrollable_case(world)
    decision = services.decide_enrolment(
        case=case,
        by=world.supervisor,
        outcome=True,
        decided_on=decided_on,
        reasons="Beviljas.",
        risk_of_reoffending="Hög.",
        motivation="God.",
        needs="Sysselsättning.",
        resources="Familj.",
        criminality="Narkotikabrott.",
        legal_reference=LegalReference.objects.get(unit=world.unit, code="support_sol"),
    )
    case.refresh_from_db()
    return case, decision


def due_in(world, days: int):
    """An enrolled case whose review falls `days` from today (negative: overdue)."""
    today = timezone.localdate()
    case, decision = enrolled(world, decided_on=today - timedelta(days=30))
    CaseDecision.objects.filter(pk=decision.pk).update(review_on=today + timedelta(days=days))
    decision.refresh_from_db()
    return case, decision


def supervisor_addresses(world):
    return sorted(
        u.email for u in (world.supervisor, world.supervisor_without_delegation) if u.email
    )


def test_a_due_review_is_sent_once_to_the_units_supervisors(reachable, mailoutbox):
    today = timezone.localdate()
    case, decision = due_in(reachable, 10)

    assert notify_due_reviews(today) == 1
    deliver()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == supervisor_addresses(reachable)
    assert reachable.coordinator.email not in message.to
    assert message.subject == f"Bistånd ska omprövas: {case.alias}"
    assert decision.review_on.isoformat() in message.body
    decision.refresh_from_db()
    assert decision.review_reminded_on == today


def test_the_job_is_idempotent(reachable, mailoutbox):
    today = timezone.localdate()
    due_in(reachable, 3)
    assert notify_due_reviews(today) == 1
    assert notify_due_reviews(today) == 0
    assert notify_due_reviews(today + timedelta(days=1)) == 0
    deliver()
    assert len(mailoutbox) == 1


def test_one_mail_per_due_review(reachable, unit_b, mailoutbox):
    today = timezone.localdate()
    overdue, _ = due_in(reachable, -5)
    soon, _ = due_in(reachable, REMIND_DAYS_BEFORE)
    _not_yet, not_yet_decision = due_in(reachable, REMIND_DAYS_BEFORE + 1)
    theirs, _ = due_in(unit_b, 2)

    assert notify_due_reviews(today) == 3
    # Case numbers restart per unit, so aliases may repeat across units: group by recipients.
    deliver()
    ours = [m.subject for m in mailoutbox if m.to == supervisor_addresses(reachable)]
    assert sorted(ours) == sorted(
        [f"Bistånd ska omprövas: {overdue.alias}", f"Bistånd ska omprövas: {soon.alias}"]
    )
    their_mail = [m for m in mailoutbox if m.to == supervisor_addresses(unit_b)]
    assert [m.subject for m in their_mail] == [f"Bistånd ska omprövas: {theirs.alias}"]
    assert len(mailoutbox) == 3
    not_yet_decision.refresh_from_db()
    assert not_yet_decision.review_reminded_on is None


def test_a_review_in_six_months_waits_until_it_comes_due(reachable, mailoutbox):
    today = timezone.localdate()
    _case, decision = enrolled(reachable, decided_on=today)
    assert notify_due_reviews(today) == 0
    remind_from = decision.review_on - timedelta(days=REMIND_DAYS_BEFORE)
    assert notify_due_reviews(remind_from - timedelta(days=1)) == 0
    assert notify_due_reviews(remind_from) == 1
    deliver()
    assert len(mailoutbox) == 1


def test_a_reexamination_is_reminded_again_when_it_comes_due(reachable, mailoutbox):
    today = timezone.localdate()
    case, _first = due_in(reachable, 5)
    assert notify_due_reviews(today) == 1

    services.reexamine_support(
        case=case, by=reachable.supervisor, decided_on=today, reasons="Fortsatt behov."
    )
    new = services.current_review([case.pk])[case.pk]
    assert new.kind == CaseDecision.Kind.REEXAMINE and new.review_reminded_on is None
    # The new date is six months on: nothing to remind today.
    assert notify_due_reviews(today) == 0
    due_day = new.review_on - timedelta(days=REMIND_DAYS_BEFORE)
    assert notify_due_reviews(due_day) == 1
    assert notify_due_reviews(due_day) == 0
    deliver()
    assert len(mailoutbox) == 2
    assert new.review_on.isoformat() in mailoutbox[1].body
    new.refresh_from_db()
    assert new.review_reminded_on == due_day


def test_a_reexamination_before_the_reminder_replaces_the_old_date(reachable, mailoutbox):
    """Re-examined in time: the old date is never reminded, only the new one."""
    today = timezone.localdate()
    case, first = due_in(reachable, 20)
    services.reexamine_support(
        case=case,
        by=reachable.supervisor,
        decided_on=today,
        reasons="Fortsatt behov.",
        review_on=today + timedelta(days=90),
    )
    assert notify_due_reviews(first.review_on - timedelta(days=5)) == 0
    assert notify_due_reviews(today + timedelta(days=80)) == 1
    deliver()
    assert len(mailoutbox) == 1
    first.refresh_from_db()
    assert first.review_reminded_on is None


def test_no_reminder_for_closed_cases(reachable, mailoutbox):
    today = timezone.localdate()
    case, _ = due_in(reachable, 5)
    case_services.case_transition(
        case=case,
        to_state=State.DISCHARGED,
        by=reachable.coordinator,
        reason="Målen uppnådda.",
        discharge_reason=DischargeReason.objects.filter(unit=reachable.unit, active=True)[0],
        summary="Sammanfattning av insatsen.",
    )
    assert notify_due_reviews(today) == 0
    deliver()
    assert mailoutbox == []


def test_no_reminder_for_declined_cases(reachable, mailoutbox):
    case = builders.identified_case(reachable, state=State.DECISION)
    services.decide_enrolment(
        case=case,
        by=reachable.supervisor,
        outcome=False,
        decided_on=timezone.localdate(),
        reasons="Vill inte delta.",
    )
    assert notify_due_reviews(timezone.localdate() + timedelta(days=400)) == 0
    deliver()
    assert mailoutbox == []


def test_inactive_supervisors_and_missing_addresses_are_skipped(reachable, mailoutbox):
    today = timezone.localdate()
    Membership.objects.filter(user=reachable.supervisor_without_delegation).update(active=False)
    due_in(reachable, 5)
    assert notify_due_reviews(today) == 1
    deliver()
    assert mailoutbox[0].to == [reachable.supervisor.email]


def test_a_unit_without_reachable_supervisors_is_tried_again_later(unit_a, mailoutbox):
    """Nobody to tell: nothing is marked as reminded, so it goes out once someone can read it."""
    today = timezone.localdate()
    _case, decision = due_in(unit_a, 5)
    assert notify_due_reviews(today) == 0
    decision.refresh_from_db()
    assert decision.review_reminded_on is None

    unit_a.supervisor.email = "chef@example.org"
    unit_a.supervisor.save()
    assert notify_due_reviews(today) == 1
    deliver()
    assert mailoutbox[0].to == ["chef@example.org"]


def test_run_daily_jobs_reports_the_reminders(reachable, mailoutbox):
    due_in(reachable, 1)
    due_in(reachable, 2)
    out = StringIO()
    call_command("run_daily_jobs", stdout=out)
    assert "Påminnelser om omprövning: 2" in out.getvalue()
    # The other daily jobs (here: safety talks never held) may write too; count the reviews.
    reviews = [mail for mail in mailoutbox if "ompr" in mail.subject.lower()]
    assert len(reviews) == 2
    sent = len(mailoutbox)

    again = StringIO()
    call_command("run_daily_jobs", stdout=again)
    assert "Påminnelser om omprövning: 0" in again.getvalue()
    assert len(mailoutbox) == sent
