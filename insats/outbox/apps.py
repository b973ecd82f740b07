from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """Outbound e-mail: written in the caller's transaction, delivered after commit by a job."""

    name = "insats.outbox"
    verbose_name = _("Utgående e-post")
