"""Reminders for the action plans: the daily e-mail job and the staff's attention lists.

The job (run daily with today's date, here passed in frozen) reminds each open measure past its
due date once — its responsible user, if they may see it — and each plan whose follow-up date
has passed without a follow-up once per follow-up date — its coordinator. What was reminded is
remembered in the database, so a second run sends nothing and a run after missed days catches
up; a new due date or a new follow-up date earns a new reminder. An e-mail names the case's
alias, never the person.
"""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.db import DatabaseError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.organisations.models import LifeArea
from insats.plans import jobs, selectors, services
from insats.plans.models import ActionPlan, PlanFollowUp, PlanGoal, PlanMeasure
from tests import builders
from tests.outbox.helpers import deliver


def enrolled_case(world):
    case = builders.enrollable_case(world)
    builders.decide(world, case, State.ASSIGNMENT)
    case.refresh_from_db()
    return case


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def make_plan(world, case, measures, *, next_follow_up_at=None, codes=("criminality", "housing")):
    goals = [
        {
            "id": None,
            "life_area": LifeArea.objects.get(unit=world.unit, code=code),
            "goal": f"Mål för {code}",
            "target": "Inom ett halvår",
            "measured_by": "Samtal varje månad",
        }
        for code in codes
    ]
    return services.plan_save(
        case=case,
        by=world.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott",
        goals=goals,
        measures=[{"id": None, **m} for m in measures],
        next_follow_up_at=next_follow_up_at,
    )


@pytest.fixture
def reachable(unit_a):
    for user in (unit_a.partner, unit_a.coordinator, unit_a.coordinator2, unit_a.supervisor):
        user.email = f"{user.username}@example.org"
        user.save()
    return unit_a


DUE = timezone.localdate() + timedelta(days=5)


@pytest.fixture
def planned(reachable):
    """A plan whose measures are all due on DUE and whose follow-up is planned for DUE."""
    world = reachable
    case = enrolled_case(world)
    police = case.members.get(user=world.partner)
    coach = consent_services.member_add_external(
        case=case,
        by=world.coordinator,
        name="Sixten Klöverhage",
        email="sixten@example.org",
    )
    make_plan(
        world,
        case,
        [
            {
                "goal": 0,
                "what": "Samtal med kommunpolisen",
                "due_on": DUE,
                "responsible_member": police,
            },
            {
                "goal": 1,
                "what": "Hjälp att söka lägenhet",
                "due_on": DUE,
                "responsible_member": police,
            },
            {
                "goal": 0,
                "what": "Möte med frivården",
                "due_on": DUE,
                "responsible_staff": world.coordinator,
            },
            {
                "goal": 0,
                "what": "Träning tre gånger i veckan",
                "due_on": DUE,
                "responsible_member": coach,
            },
            {
                "goal": 0,
                "what": "Redan klar åtgärd",
                "due_on": DUE,
                "status": "done",
                "responsible_member": police,
            },
            {
                "goal": 0,
                "what": "Senare åtgärd",
                "due_on": DUE + timedelta(days=1),
                "responsible_member": police,
            },
        ],
        next_follow_up_at=at(DUE),
    )
    return world, case


KEEP = object()


def resave(world, case, *, due_on=None, how=None, next_follow_up_at=KEEP):
    """Save the plan again as the coordinator's form would: everything as it is, except the
    due dates / "how" given per measure text and, if given, the next follow-up."""
    due_on, how = due_on or {}, how or {}
    plan = ActionPlan.objects.get(case=case)
    goals = list(plan.goals.all())
    goal_index = {g.pk: i for i, g in enumerate(goals)}
    measures = list(plan.measures.all())
    measure_index = {m.pk: i for i, m in enumerate(measures)}
    return services.plan_save(
        case=case,
        by=world.coordinator,
        based_on_revision=plan.revision,
        main_goal=plan.main_goal,
        status=plan.status,
        commitments=plan.commitments,
        next_follow_up_at=plan.next_follow_up_at
        if next_follow_up_at is KEEP
        else next_follow_up_at,
        next_follow_up_place=plan.next_follow_up_place,
        acute_contact=plan.acute_contact,
        goals=[
            {
                "id": g.pk,
                "life_area": g.life_area,
                "goal": g.goal,
                "target": g.target,
                "measured_by": g.measured_by,
                "closed_on": g.closed_on,
            }
            for g in goals
        ],
        measures=[
            {
                "id": m.pk,
                "goal": goal_index[m.goal_id],
                "what": m.what,
                "how": how.get(m.what, m.how),
                "where": m.where,
                "starts_on": m.starts_on,
                "due_on": due_on.get(m.what, m.due_on),
                "after": measure_index.get(m.after_id),
                "responsible_member": m.responsible_member,
                "responsible_staff": m.responsible_staff,
                "responsible_organisation": m.responsible_organisation,
                "status": m.status,
            }
            for m in measures
        ],
    )


def by_recipient() -> dict[str, list]:
    sent: dict[str, list] = {}
    deliver()
    for message in mail.outbox:
        for address in message.to:
            sent.setdefault(address, []).append(message)
    return sent


def measure_mails(what: str) -> list:
    deliver()
    return [m for m in mail.outbox if m.subject.startswith("Åtgärd försenad") and what in m.body]


def follow_up_mails() -> list:
    deliver()
    return [m for m in mail.outbox if m.subject.startswith("Uppföljning av handlingsplan saknas")]


def reminded_on(what: str):
    return PlanMeasure.objects.get(what=what).overdue_reminded_on


# --- Overdue measures and missed follow-ups: who gets what --------------------------------------


def test_each_reminder_goes_out_once_to_the_right_people(planned):
    world, case = planned
    assert jobs.remind_overdue(DUE) == 0  # due today is not overdue yet
    deliver()
    assert not mail.outbox

    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 3
    sent = by_recipient()
    assert set(sent) == {world.partner.email, world.coordinator.email}

    partner_mail = sent[world.partner.email]
    assert len(partner_mail) == 1
    assert "Samtal med kommunpolisen" in partner_mail[0].body
    assert DUE.isoformat() in partner_mail[0].body
    assert case.alias in partner_mail[0].subject

    coordinator_mail = sent[world.coordinator.email]
    assert len(coordinator_mail) == 2
    measure_mail = next(m for m in coordinator_mail if "Möte med frivården" in m.body)
    follow_up_mail = next(m for m in coordinator_mail if m is not measure_mail)
    assert follow_up_mail.subject.startswith("Uppföljning av handlingsplan saknas")
    assert DUE.isoformat() in follow_up_mail.body

    # Nobody reads anything beyond their own measure, and nobody reads the person's name.
    for message in mail.outbox:
        text = message.subject + message.body
        assert case.alias in text
        assert case.person.first_name not in text
        assert case.person.last_name not in text
        assert "Hjälp att söka lägenhet" not in text  # housing: not covered for the police
        assert "Träning tre gånger i veckan" not in text  # the coach has no account
        assert "Redan klar åtgärd" not in text
    assert "Samtal med kommunpolisen" not in "".join(m.body for m in coordinator_mail)

    # What went out is remembered; what could not go out is not marked as sent.
    assert reminded_on("Samtal med kommunpolisen") == DUE + timedelta(days=1)
    assert reminded_on("Möte med frivården") == DUE + timedelta(days=1)
    assert reminded_on("Hjälp att söka lägenhet") is None
    assert reminded_on("Träning tre gånger i veckan") is None
    assert reminded_on("Redan klar åtgärd") is None
    assert reminded_on("Senare åtgärd") is None
    assert ActionPlan.objects.get(case=case).follow_up_reminded_for == at(DUE)


def test_a_second_run_the_same_day_or_the_next_sends_nothing_again(planned):
    world, _case = planned
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 3
    deliver()
    mail.outbox.clear()
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 0
    deliver()
    assert not mail.outbox

    # The next day: only the measure that became overdue then; the rest stay overdue but
    # are not reminded again, nor is the still missing follow-up.
    assert jobs.remind_overdue(DUE + timedelta(days=2)) == 1
    deliver()
    assert mail.outbox[0].to == [world.partner.email]
    assert "Senare åtgärd" in mail.outbox[0].body
    mail.outbox.clear()
    assert jobs.remind_overdue(DUE + timedelta(days=2)) == 0
    assert jobs.remind_overdue(DUE + timedelta(days=3)) == 0
    assert jobs.remind_overdue(DUE + timedelta(days=30)) == 0
    deliver()
    assert not mail.outbox


def test_a_run_after_missed_days_catches_up_once(planned):
    world, _case = planned
    # The job did not run for ten days: everything overdue by now goes out in one run.
    assert jobs.remind_overdue(DUE + timedelta(days=10)) == 4
    sent = by_recipient()
    assert len(sent[world.partner.email]) == 2
    assert len(measure_mails("Samtal med kommunpolisen")) == 1
    assert len(measure_mails("Senare åtgärd")) == 1
    assert len(measure_mails("Möte med frivården")) == 1
    assert len(follow_up_mails()) == 1
    assert DUE.isoformat() in follow_up_mails()[0].body  # the day it should have been held
    assert "Hjälp att söka lägenhet" not in "".join(m.body for m in mail.outbox)

    mail.outbox.clear()
    assert jobs.remind_overdue(DUE + timedelta(days=11)) == 0
    deliver()
    assert not mail.outbox


def test_a_new_due_date_earns_a_new_reminder_once_it_has_passed(planned):
    world, case = planned
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 3
    deliver()
    mail.outbox.clear()

    # A save that leaves the due dates alone does not reopen the reminders.
    resave(world, case, how={"Samtal med kommunpolisen": "Hemma hos familjen"})
    assert reminded_on("Samtal med kommunpolisen") == DUE + timedelta(days=1)
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 0

    # Moving one measure's due date clears its reminder, and only its.
    moved = DUE + timedelta(days=3)
    resave(world, case, due_on={"Samtal med kommunpolisen": moved})
    assert reminded_on("Samtal med kommunpolisen") is None
    assert reminded_on("Möte med frivården") == DUE + timedelta(days=1)

    jobs.remind_overdue(DUE + timedelta(days=2))  # "Senare åtgärd" becomes overdue
    jobs.remind_overdue(moved)  # the new due date is today: not overdue yet
    assert not measure_mails("Samtal med kommunpolisen")

    mail.outbox.clear()
    assert jobs.remind_overdue(moved + timedelta(days=1)) == 1
    deliver()
    (message,) = mail.outbox
    assert message.to == [world.partner.email]
    assert "Samtal med kommunpolisen" in message.body
    assert moved.isoformat() in message.body
    assert reminded_on("Samtal med kommunpolisen") == moved + timedelta(days=1)

    deliver()
    mail.outbox.clear()
    assert jobs.remind_overdue(moved + timedelta(days=1)) == 0
    assert jobs.remind_overdue(moved + timedelta(days=2)) == 0
    deliver()
    assert not mail.outbox


def test_a_due_date_moved_into_the_past_is_reminded_at_the_next_run(planned):
    world, case = planned
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 3
    deliver()
    mail.outbox.clear()
    resave(world, case, due_on={"Möte med frivården": DUE - timedelta(days=2)})
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 1
    deliver()
    (message,) = mail.outbox
    assert message.to == [world.coordinator.email]
    assert (DUE - timedelta(days=2)).isoformat() in message.body


def test_a_new_follow_up_date_earns_a_new_reminder(planned):
    world, case = planned
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 3
    assert len(follow_up_mails()) == 1
    mail.outbox.clear()

    new_date = DUE + timedelta(days=3)
    resave(world, case, next_follow_up_at=at(new_date, 14))
    jobs.remind_overdue(DUE + timedelta(days=2))
    jobs.remind_overdue(new_date)  # the new date is today: not missed yet
    assert not follow_up_mails()

    assert jobs.remind_overdue(new_date + timedelta(days=1)) == 1
    (message,) = follow_up_mails()
    assert message.to == [world.coordinator.email]
    assert new_date.isoformat() in message.body
    assert ActionPlan.objects.get(case=case).follow_up_reminded_for == at(new_date, 14)

    deliver()
    mail.outbox.clear()
    assert jobs.remind_overdue(new_date + timedelta(days=1)) == 0
    assert jobs.remind_overdue(new_date + timedelta(days=5)) == 0
    # Keeping the same follow-up date on a save does not reopen the reminder.
    resave(world, case, how={"Möte med frivården": "På kontoret"})
    assert jobs.remind_overdue(new_date + timedelta(days=6)) == 0
    deliver()
    assert not mail.outbox


def test_the_follow_up_day_is_the_local_date(reachable):
    """A follow-up at 00:30 Swedish time is still the previous day in UTC."""
    world = reachable
    case = enrolled_case(world)
    planned_on = timezone.localdate() - timedelta(days=3)
    make_plan(
        world,
        case,
        [
            {
                "goal": 0,
                "what": "Möte",
                "due_on": planned_on + timedelta(days=60),
                "responsible_staff": world.coordinator,
            }
        ],
        next_follow_up_at=at(planned_on, 0) + timedelta(minutes=30),
    )
    assert jobs.remind_overdue(planned_on) == 0
    assert jobs.remind_overdue(planned_on + timedelta(days=1)) == 1
    deliver()
    assert planned_on.isoformat() in mail.outbox[0].body


def test_a_revoked_consent_stops_the_partners_reminder(planned):
    world, case = planned
    consent = Consent.objects.get(case=case, revoked_on__isnull=True)
    consent_services.consent_revoke(
        consent=consent, by=world.coordinator, revoked_on=timezone.localdate(), how="Brev"
    )
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 2
    assert world.partner.email not in by_recipient()
    assert reminded_on("Samtal med kommunpolisen") is None


def test_users_without_an_address_get_nothing(planned):
    world, _case = planned
    world.partner.email = ""
    world.partner.save()
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 2
    assert world.partner.email not in by_recipient()
    deliver()
    assert {a for m in mail.outbox for a in m.to} == {world.coordinator.email}


def test_closed_cases_get_nothing(planned):
    _world, case = planned
    Case.objects.filter(pk=case.pk).update(state=State.DISCHARGED)
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 0
    assert jobs.remind_overdue(DUE + timedelta(days=10)) == 0
    deliver()
    assert not mail.outbox
    assert not PlanMeasure.objects.filter(overdue_reminded_on__isnull=False).exists()
    assert ActionPlan.objects.get(case=case).follow_up_reminded_for is None


def test_a_follow_up_on_or_after_the_planned_day_means_no_reminder(reachable):
    world = reachable
    today = timezone.localdate()
    planned_on = today - timedelta(days=3)

    def plan_followed_up(held_on):
        case = enrolled_case(world)
        plan = make_plan(
            world,
            case,
            [
                {
                    "goal": 0,
                    "what": "Möte",
                    "due_on": today + timedelta(days=30),
                    "responsible_staff": world.coordinator,
                }
            ],
            next_follow_up_at=at(planned_on, 14),
        )
        if held_on:
            services.plan_follow_up(
                case=case,
                by=world.coordinator,
                held_on=held_on,
                results=[{"goal": plan.goals.first(), "result": "partly"}],
            )
        return case

    on_the_day = plan_followed_up(planned_on)
    later = plan_followed_up(planned_on + timedelta(days=1))
    too_early = plan_followed_up(planned_on - timedelta(days=20))
    never = plan_followed_up(None)

    assert jobs.remind_overdue(planned_on + timedelta(days=1)) == 2
    deliver()
    subjects = " ".join(m.subject for m in mail.outbox)
    assert too_early.alias in subjects and never.alias in subjects
    assert on_the_day.alias not in subjects and later.alias not in subjects
    assert all(m.to == [world.coordinator.email] for m in mail.outbox)

    mail.outbox.clear()
    assert jobs.remind_overdue(planned_on + timedelta(days=1)) == 0
    assert jobs.remind_overdue(planned_on + timedelta(days=2)) == 0
    deliver()
    assert not mail.outbox


# --- Claimed before sending ---------------------------------------------------------------------


def test_a_failed_send_is_not_lost(planned, monkeypatch):
    """The claim and the e-mail go together: if enqueueing fails, the next run sends it."""
    original = jobs.enqueue

    def failing(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(jobs, "enqueue", failing)
    with pytest.raises(DatabaseError):
        jobs.remind_overdue(DUE + timedelta(days=1))
    assert not PlanMeasure.objects.filter(overdue_reminded_on__isnull=False).exists()

    monkeypatch.setattr(jobs, "enqueue", original)
    assert jobs.remind_overdue(DUE + timedelta(days=1)) == 3
    deliver()
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("interrupt", ["Åtgärd försenad", "Uppföljning av handlingsplan saknas"])
def test_overlapping_runs_send_each_reminder_once(two_cases, monkeypatch, interrupt):
    """A second run starting while the first is sending (with the first's list already read)
    sends what is left, and the first does not send it again."""
    world, _mine, _theirs = two_cases
    day = DUE + timedelta(days=1)
    original = jobs.enqueue
    second = []

    def send_and_overlap(**kwargs):
        original(**kwargs)
        if not second and kwargs["subject"].startswith(interrupt):
            second.append(None)
            second[0] = jobs.remind_overdue(day)

    monkeypatch.setattr(jobs, "enqueue", send_and_overlap)
    first = jobs.remind_overdue(day)
    assert second[0] > 0 and first + second[0] == 4
    deliver()
    keys = [(tuple(m.to), m.subject, m.body) for m in mail.outbox]
    assert len(keys) == 4 == len(set(keys))
    assert len(follow_up_mails()) == 2
    assert {tuple(m.to) for m in follow_up_mails()} == {
        (world.coordinator.email,),
        (world.coordinator2.email,),
    }


def test_a_due_date_moved_while_the_job_runs_is_still_reminded_later(planned, monkeypatch):
    world, case = planned
    day = DUE + timedelta(days=1)
    moved = DUE + timedelta(days=5)
    original = jobs.enqueue
    saved = []

    def send_and_save(**kwargs):
        original(**kwargs)
        if not saved:  # the coordinator saves the plan while the job is running
            saved.append(resave(world, case, due_on={"Möte med frivården": moved}))

    monkeypatch.setattr(jobs, "enqueue", send_and_save)
    jobs.remind_overdue(day)
    monkeypatch.setattr(jobs, "enqueue", original)
    assert not measure_mails("Möte med frivården")  # no longer overdue when its turn came

    mail.outbox.clear()
    jobs.remind_overdue(moved + timedelta(days=1))
    assert len(measure_mails("Möte med frivården")) == 1


# --- The attention lists ------------------------------------------------------------------------


@pytest.fixture
def two_cases(reachable):
    """Case `mine` is coordinated by world.coordinator, `theirs` by coordinator2; both have a
    measure due on DUE and a follow-up planned for DUE."""
    world = reachable
    cases = []
    for coordinator, label in ((world.coordinator, "mine"), (world.coordinator2, "theirs")):
        case = enrolled_case(world)
        Case.objects.filter(pk=case.pk).update(coordinator=coordinator)
        make_plan(
            world,
            case,
            [
                {
                    "goal": 0,
                    "what": f"Åtgärd i {label}",
                    "due_on": DUE,
                    "responsible_staff": world.coordinator,
                },
                {
                    "goal": 0,
                    "what": f"Klar åtgärd i {label}",
                    "due_on": DUE,
                    "status": "done",
                    "responsible_staff": world.coordinator,
                },
            ],
            next_follow_up_at=at(DUE),
        )
        cases.append(case)
    return world, cases[0], cases[1]


def whats(attention) -> set[str]:
    return {m.what for m in attention.overdue_measures}


def aliases(attention) -> set[str]:
    return {p.case.alias for p in attention.missed_follow_ups}


def test_a_coordinator_sees_their_own_cases_and_a_supervisor_all(two_cases):
    world, mine, theirs = two_cases
    units = {world.unit.pk}
    later = DUE + timedelta(days=1)

    assert not selectors.attention_for_staff(world.coordinator, units, DUE)

    coordinator = selectors.attention_for_staff(world.coordinator, units, later)
    assert whats(coordinator) == {"Åtgärd i mine"}
    assert aliases(coordinator) == {mine.alias}
    assert {c.pk for c in coordinator.cases} == {mine.pk}

    supervisor = selectors.attention_for_staff(world.supervisor, units, later)
    assert whats(supervisor) == {"Åtgärd i mine", "Åtgärd i theirs"}
    assert aliases(supervisor) == {mine.alias, theirs.alias}


def test_attention_leaves_out_followed_up_plans_closed_cases_and_other_units(two_cases, unit_b):
    world, mine, theirs = two_cases
    later = DUE + timedelta(days=1)
    services.plan_follow_up(
        case=theirs,
        by=world.coordinator,
        held_on=timezone.localdate(),
        results=[{"goal": PlanGoal.objects.filter(plan__case=theirs).first(), "result": "partly"}],
    )
    # A follow-up before the planned day does not count; today is before DUE.
    assert aliases(selectors.attention_for_staff(world.supervisor, {world.unit.pk}, later)) == {
        mine.alias,
        theirs.alias,
    }
    # One held on the planned day does.
    PlanFollowUp.objects.create(
        plan=theirs.plan, held_on=DUE, recorded_by=world.coordinator, note="På dagen"
    )
    assert aliases(selectors.attention_for_staff(world.supervisor, {world.unit.pk}, later)) == {
        mine.alias
    }
    Case.objects.filter(pk=mine.pk).update(state=State.WITHDRAWN)
    supervisor = selectors.attention_for_staff(world.supervisor, {world.unit.pk}, later)
    assert whats(supervisor) == {"Åtgärd i theirs"}
    # Another unit's supervisor asking about this unit gets nothing.
    assert not selectors.attention_for_staff(unit_b.supervisor, {world.unit.pk}, later)
    # A partner neither.
    assert not selectors.attention_for_staff(world.partner, {world.unit.pk}, later)


def test_attention_runs_a_fixed_number_of_queries(two_cases, django_assert_num_queries):
    world, _mine, _theirs = two_cases
    later = DUE + timedelta(days=1)
    selectors.attention_for_staff(world.supervisor, {world.unit.pk}, later)  # roles cached
    with django_assert_num_queries(2):
        attention = selectors.attention_for_staff(world.supervisor, {world.unit.pk}, later)
        html = render_to_string("plans/includes/attention.html", {"attention": attention})
    assert html.count('class="overdue"') == 4
    assert len(attention.overdue_measures) == 2
    assert len(attention.missed_follow_ups) == 2


def test_the_include_links_to_the_plans(two_cases):
    world, mine, theirs = two_cases
    attention = selectors.attention_for_staff(
        world.supervisor, {world.unit.pk}, DUE + timedelta(days=1)
    )
    html = render_to_string("plans/includes/attention.html", {"attention": attention})
    for case in (mine, theirs):
        assert reverse("plan_detail", args=[case.pk]) in html
        assert case.alias in html
    assert "Åtgärd i mine" in html and "Försenade åtgärder i handlingsplaner" in html
    assert "Uteblivna uppföljningar av handlingsplaner" in html

    empty = selectors.Attention()
    assert "Inga åtgärder är försenade." in render_to_string(
        "plans/includes/attention.html", {"attention": empty}
    )
    assert "<section" not in render_to_string(
        "plans/includes/attention.html", {"attention": empty, "hide_empty": True}
    )
