"""The outbox: mail is written with the change it reports and delivered after commit by a job,
with retries, each message once — through a local SMTP sink that can be down or refuse."""

import logging
import socket
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from insats.decisions.jobs import notify_due_reviews
from insats.meetings import services_meetings
from insats.outbox import jobs
from insats.outbox.models import OutboundMessage
from insats.outbox.services import Attachment, enqueue
from tests.decisions.test_review_reminders import due_in, reachable  # noqa: F401
from tests.meetings.test_meetings import make_meeting
from tests.outbox.helpers import deliver
from tests.outbox.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def message(key: str, to: str = "a@example.org", **extra) -> bool:
    return enqueue(key=key, to=[to], subject=f"Ämne {key}", body="Text", **extra)


def free_port() -> int:
    """A local port nobody listens on: connecting is refused at once (the server is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend, to a local port the test chooses, with a short timeout."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_PORT = free_port()
    return settings


def status(key: str) -> OutboundMessage:
    return OutboundMessage.objects.get(key=key)


# --- Enqueueing ---------------------------------------------------------------------------------


def test_a_rolled_back_cancellation_sends_nothing(unit_a):
    meeting = make_meeting(unit_a)
    services_meetings.send_invitations(meeting=meeting, by=unit_a.coordinator)
    invited = len(deliver())
    assert invited > 0
    mail.outbox.clear()

    with pytest.raises(RuntimeError), transaction.atomic():
        assert services_meetings.meeting_cancel(meeting=meeting, by=unit_a.coordinator) > 0
        raise RuntimeError("the request fails after the cancellation")

    assert deliver() == []
    assert not OutboundMessage.objects.filter(key__startswith="meeting-cancel").exists()
    meeting.refresh_from_db()
    assert meeting.status != meeting.Status.CANCELLED
    services_meetings.meeting_cancel(meeting=meeting, by=unit_a.coordinator)
    assert len(deliver()) == invited  # the cancellation that commits is sent


def test_the_same_key_is_enqueued_once():
    assert message("notice:1") is True
    assert message("notice:1") is False
    assert OutboundMessage.objects.filter(key="notice:1").count() == 1
    assert len(deliver()) == 1
    assert message("notice:1") is False  # sent: still never again
    assert deliver() == [mail.outbox[0]]


def test_a_job_rerun_after_dying_midway_sends_each_notice_once(reachable):  # noqa: F811
    """The reminder's bookkeeping and its e-mail commit together: a run that dies after
    enqueueing leaves nothing behind, and the rerun sends each notice once."""
    due_in(reachable, 3)
    due_in(reachable, 4)
    today = timezone.localdate()

    with pytest.raises(RuntimeError), transaction.atomic():
        assert notify_due_reviews(today) == 2
        raise RuntimeError("the run dies before commit")
    assert not OutboundMessage.objects.exists()

    assert notify_due_reviews(today) == 2
    assert notify_due_reviews(today) == 0
    assert len(deliver()) == 2


# --- Delivery through SMTP ----------------------------------------------------------------------


def test_delivered_with_its_attachments_and_a_stable_message_id(smtp):
    calendar = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message(
        "invitation:1",
        attachments=[
            Attachment("mote.ics", calendar, "text/calendar; method=REQUEST; charset=utf-8"),
            Attachment("samtal.pdf", b"%PDF-1.7 fiktiv", "application/pdf"),
        ],
    )
    with SmtpSink() as sink:
        smtp.EMAIL_PORT = sink.port
        result = jobs.deliver()

    assert (result.sent, result.retrying, result.failed) == (1, 0, 0)
    ((recipients, sent),) = sink.received
    assert recipients == ["a@example.org"]
    assert sent["Message-ID"] == jobs.message_id("invitation:1")
    parts = {part.get_content_type(): part for part in sent.walk()}
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    assert parts["text/calendar"].get_payload(decode=True) == calendar
    assert parts["application/pdf"].get_payload(decode=True) == b"%PDF-1.7 fiktiv"
    row = status("invitation:1")
    assert row.status == OutboundMessage.Status.SENT and row.sent_at is not None


def test_a_refused_mailbox_never_stops_the_others_and_is_given_up_after_retries(smtp, caplog):
    message("notice:1", "first@example.org")
    message("notice:2", "gone@example.org")
    message("notice:3", "third@example.org")
    now = timezone.now()
    with SmtpSink(refused={"gone@example.org"}) as sink:
        smtp.EMAIL_PORT = sink.port
        result = jobs.deliver(now)
        assert (result.sent, result.retrying) == (2, 1)
        assert sorted(sink.addresses()) == ["first@example.org", "third@example.org"]
        refused = status("notice:2")
        assert refused.status == OutboundMessage.Status.PENDING and refused.attempts == 1
        assert refused.next_attempt_at == now + timedelta(minutes=1)
        assert "550" in refused.last_error

        assert jobs.deliver(now + timedelta(seconds=30)).claimed == 0  # backing off
        assert jobs.deliver(now + timedelta(minutes=1)).retrying == 1
        with caplog.at_level(logging.ERROR, logger="insats.outbox.jobs"):
            assert jobs.deliver(now + timedelta(minutes=7)).failed == 1
        assert status("notice:2").status == OutboundMessage.Status.FAILED
        assert "notice:2 given up after 3 attempts" in caplog.text
        assert "gone@example.org" not in caplog.text  # no address in the log

        # The address is fixed at the receiving end; the operator queues the failed again.
        sink.refused.clear()
        call_command("deliver_outbox", "--retry-failed", stdout=StringIO())
        assert sink.addresses().count("gone@example.org") == 1
    assert status("notice:2").status == OutboundMessage.Status.SENT
    assert len(sink.received) == 3  # each once


def test_mail_server_down_every_other_daily_job_runs_and_the_notices_go_later(
    smtp,
    reachable,  # noqa: F811
):
    due_in(reachable, 3)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match=r"^1 av \d+ jobb misslyckades: Utgående e-post$"):
        call_command("run_daily_jobs", stdout=out, stderr=err)

    assert "Påminnelser om omprövning: 1" in out.getvalue()
    assert "Förberedd statistik:" in out.getvalue()  # after the reminders, still ran
    assert "Utgående e-post: misslyckades (DeliveryFailed: 0 skickade," in err.getvalue()
    (waiting,) = OutboundMessage.objects.filter(key__startswith="review-reminder:")
    assert waiting.status == OutboundMessage.Status.PENDING and waiting.attempts == 1
    assert waiting.next_attempt_at > timezone.now()

    later = timezone.now() + timedelta(minutes=2)
    with SmtpSink() as sink:
        smtp.EMAIL_PORT = sink.port
        assert jobs.deliver(later).sent >= 1
        assert jobs.deliver(later + timedelta(hours=1)).claimed == 0
    reminders = [m for _to, m in sink.received if "Bistånd ska omprövas" in m["Subject"]]
    assert len(reminders) == 1


def test_a_silent_mail_server_is_given_up_on_within_the_timeout(smtp):
    message("notice:1")
    message("notice:2")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts, never greets
        smtp.EMAIL_PORT = silent.getsockname()[1]
        smtp.EMAIL_TIMEOUT = 1
        result = jobs.deliver()
    # The whole batch waits for the next attempt; the server was not asked once per message.
    assert (result.sent, result.retrying) == (0, 2)


# --- Exactly once -------------------------------------------------------------------------------


def test_a_run_killed_between_claim_and_delivery_is_delivered_once_later():
    message("notice:1")
    now = timezone.now()
    claimed = jobs._claim(now, 10)  # the run claims it, then the process is killed
    assert [m.key for m, _lease in claimed] == ["notice:1"]
    assert status("notice:1").status == OutboundMessage.Status.SENDING

    assert jobs.deliver(now + timedelta(minutes=1)).claimed == 0  # its lease still holds
    assert mail.outbox == []
    assert jobs.deliver(now + jobs.LEASE + timedelta(seconds=1)).sent == 1
    assert jobs.deliver(now + jobs.LEASE * 3).claimed == 0
    assert [m.subject for m in mail.outbox] == ["Ämne notice:1"]
    assert status("notice:1").status == OutboundMessage.Status.SENT


def test_two_runs_that_read_the_same_messages_take_each_once():
    for number in range(3):
        message(f"notice:{number}")
    now = timezone.now()
    first, second = jobs._candidates(now, 10), jobs._candidates(now, 10)
    assert len(first) == len(second) == 3
    assert len(jobs._take(first, now)) == 3
    assert jobs._take(second, now) == []  # the second run finds them taken


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_each_message_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent database sessions: PostgreSQL (SQLite serialises the runs)")
    keys = [f"notice:{number}" for number in range(40)]
    for key in keys:
        message(key)
    start = threading.Barrier(2)
    errors = []

    def run():
        try:
            start.wait()
            while jobs.deliver(limit=3).claimed:
                pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Ämne {key}" for key in keys)
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 40
