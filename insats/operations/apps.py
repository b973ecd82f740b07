from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Operator commands (backup, restore, file checks); no models, no pages."""

    name = "insats.operations"
    verbose_name = _("Drift")
