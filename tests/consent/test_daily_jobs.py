"""Consent expiry reminders (SPEC §6, §7): the daily job and the start page.

Access never waits for the job (the policy compares dates on each request); the job makes sure
the coordinator hears, once, that a consent has run out.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from insats.consent import services
from insats.consent.models import Consent

EXPIRING_TITLE = "Samtycken som går ut inom 30 dagar"


@pytest.fixture
def reachable(unit_a):
    """Give the unit's coordinators e-mail addresses (fictional)."""
    for user in (unit_a.coordinator, unit_a.coordinator2):
        user.email = f"{user.username}@example.org"
        user.save()
    return unit_a


def consent_ending(kit, world, case, days_from_today: int) -> Consent:
    """A consent signed long ago that ends `days_from_today` from today (negative: ended)."""
    today = timezone.localdate()
    start = today - timedelta(days=400)
    return kit.consent(
        world,
        case,
        signed_on=start,
        valid_from=start,
        valid_until=today + timedelta(days=days_from_today),
    )


def run_jobs() -> str:
    out = StringIO()
    call_command("run_daily_jobs", stdout=out)
    return out.getvalue()


def test_an_expired_consent_is_reported_to_the_coordinator_once(reachable, kit):
    case = kit.person_case(reachable, age=25, first="Utgången")
    consent = consent_ending(kit, reachable, case, -1)

    output = run_jobs()

    assert "Utgångna samtycken meddelade: 1" in output
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [reachable.coordinator.email]
    assert case.alias in message.subject
    assert message.subject.startswith("Samtycke har gått ut")
    assert consent.valid_until.isoformat() in message.body
    # the e-mail names the case by alias only, never the person
    assert "Utgången" not in message.subject + message.body
    assert case.person.identity_number not in message.body
    consent.refresh_from_db()
    assert consent.expiry_notified_on == timezone.localdate()

    assert "Utgångna samtycken meddelade: 0" in run_jobs()
    assert len(mail.outbox) == 1


def test_each_expired_consent_is_reported_to_its_own_coordinator(reachable, kit):
    mine = kit.person_case(reachable, age=25)
    theirs = kit.person_case(reachable, age=25, coordinator=reachable.coordinator2)
    consent_ending(kit, reachable, mine, -3)
    consent_ending(kit, reachable, theirs, -30)

    run_jobs()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [reachable.coordinator.email, reachable.coordinator2.email]
    )


@pytest.mark.parametrize(
    "state", ["ends_today", "ends_tomorrow", "revoked_after_expiry", "revoked_while_valid"]
)
def test_valid_or_revoked_consents_send_nothing(reachable, kit, state):
    case = kit.person_case(reachable, age=25)
    ends = {"ends_today": 0, "ends_tomorrow": 1, "revoked_while_valid": 100}.get(state, -5)
    consent = consent_ending(kit, reachable, case, ends)
    if state.startswith("revoked"):
        services.consent_revoke(
            consent=consent,
            by=reachable.coordinator,
            revoked_on=timezone.localdate() - timedelta(days=10),
            how="Muntligt vid möte",
        )

    assert "Utgångna samtycken meddelade: 0" in run_jobs()
    assert mail.outbox == []
    consent.refresh_from_db()
    assert consent.expiry_notified_on is None


def test_a_consent_ended_with_its_case_sends_nothing_when_its_date_passes(reachable, kit):
    """The closing of the case ended it: partners lost access then, nothing to chase later."""
    case = kit.person_case(reachable, age=25)
    consent = consent_ending(kit, reachable, case, -2)
    Consent.objects.filter(pk=consent.pk).update(
        ended_on=timezone.localdate() - timedelta(days=5), end_reason="discharge"
    )

    assert "Utgångna samtycken meddelade: 0" in run_jobs()
    assert mail.outbox == []


def test_a_consent_is_not_marked_notified_when_nobody_was_told(unit_a, kit):
    assert not unit_a.coordinator.email
    case = kit.person_case(unit_a, age=25)
    consent = consent_ending(kit, unit_a, case, -1)

    run_jobs()
    consent.refresh_from_db()
    assert mail.outbox or consent.expiry_notified_on is None

    unit_a.coordinator.email = "alfa-lots@example.org"
    unit_a.coordinator.save()
    run_jobs()
    assert [m.to for m in mail.outbox] == [["alfa-lots@example.org"]]


# --- the start page ----------------------------------------------------------------------------


def expiring_section(page: str) -> str:
    if EXPIRING_TITLE not in page:
        return ""
    return page.split(EXPIRING_TITLE, 1)[1].split("</section>", 1)[0]


@pytest.fixture
def expiring(unit_a, kit):
    """Three consents of the coordinator's cases: ending in 10, 30 and 40 days."""
    cases = {}
    for days in (10, 30, 40):
        case = kit.person_case(unit_a, age=25)
        consent_ending(kit, unit_a, case, days)
        cases[days] = case
    return cases


def test_the_coordinator_sees_consents_ending_within_30_days(unit_a, expiring, login):
    page = login(unit_a.coordinator).get("/").content.decode()
    section = expiring_section(page)
    assert section
    assert expiring[10].alias in section
    assert expiring[30].alias in section
    assert expiring[40].alias not in section
    ends = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert f"gäller till och med {ends}" in section


def test_a_supervisor_sees_the_units_expiring_consents(unit_a, expiring, login):
    section = expiring_section(login(unit_a.supervisor).get("/").content.decode())
    assert expiring[10].alias in section
    assert expiring[30].alias in section
    assert expiring[40].alias not in section


def test_others_do_not_see_the_reminder(unit_a, unit_b, expiring, login):
    # another coordinator of the unit: not their cases
    assert expiring_section(login(unit_a.coordinator2).get("/").content.decode()) == ""
    # another unit's supervisor: nothing of unit A
    page = login(unit_b.supervisor).get("/").content.decode()
    assert expiring_section(page) == ""
    assert expiring[10].alias not in page


def test_revoked_and_expired_consents_are_not_listed_as_expiring(unit_a, kit, login):
    revoked_case = kit.person_case(unit_a, age=25)
    revoked = consent_ending(kit, unit_a, revoked_case, 5)
    services.consent_revoke(
        consent=revoked, by=unit_a.coordinator, revoked_on=timezone.localdate(), how="Skriftligt"
    )
    expired_case = kit.person_case(unit_a, age=25)
    consent_ending(kit, unit_a, expired_case, -1)

    page = login(unit_a.coordinator).get("/").content.decode()
    assert expiring_section(page) == ""
