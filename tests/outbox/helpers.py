"""Deliver the outbox in tests that read the mail right after an action.

In production the outbox is delivered by a job (deliver_outbox every minute, and last in
run_daily_jobs); a test that reads django.core.mail.outbox after an action calls deliver()
first, as the job would.
"""

from django.core import mail

from insats.outbox import jobs


def deliver() -> list:
    """Send every due message (to the test backend) and return the mail sent so far."""
    while jobs.deliver().claimed:
        pass
    return mail.outbox
