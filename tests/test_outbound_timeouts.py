"""A mail server that accepts and never answers cannot hold a request or a job for ever."""

import socket
import time

from django.conf import settings as django_settings
from django.core.mail import get_connection, send_mail
from django.db import connection


def test_e_mail_gives_up_on_a_silent_server_after_the_timeout(settings):
    settings.EMAIL_TIMEOUT = 1  # the setting every send uses (10 s by default)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never sends the SMTP greeting
    port = silent.getsockname()[1]
    try:
        backend = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host="127.0.0.1",
            port=port,
            fail_silently=False,
        )
        started = time.monotonic()
        try:
            send_mail("Ämne", "Text", "a@example.se", ["b@example.se"], connection=backend)
        except (TimeoutError, OSError):
            pass
        else:  # pragma: no cover - a silent server cannot accept mail
            raise AssertionError("the silent server accepted the message")
        assert time.monotonic() - started < 5
    finally:
        silent.close()


def test_the_default_settings_bound_smtp_and_reopen_dropped_connections():
    assert django_settings.EMAIL_TIMEOUT == 10
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
