"""run_daily_jobs: one failing job is reported and the others still run."""

from io import StringIO
from smtplib import SMTPServerDisconnected

import pytest
from django.core.management import CommandError, call_command

from insats.core.management.commands import run_daily_jobs


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(monkeypatch):
    ran = []

    def mail_server_down(today):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    def counting(name):
        def job(today):
            ran.append(name)
            return 2

        return job

    monkeypatch.setattr(
        run_daily_jobs,
        "JOBS",
        (("Först", mail_server_down), ("Sedan", counting("b")), ("Sist", counting("c"))),
    )
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 av 3 jobb misslyckades: Först"):
        call_command("run_daily_jobs", stdout=out, stderr=err)

    assert ran == ["b", "c"]
    assert "Först: misslyckades (SMTPServerDisconnected" in err.getvalue()
    assert "Sedan: 2" in out.getvalue() and "Sist: 2" in out.getvalue()


@pytest.mark.django_db
def test_every_real_job_runs_and_reports():
    out = StringIO()
    call_command("run_daily_jobs", stdout=out)
    reported = [line.split(":")[0] for line in out.getvalue().splitlines()]
    assert reported == [label for label, _job in run_daily_jobs.JOBS]
