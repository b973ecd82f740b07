from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestigationConfig(AppConfig):
    name = "insats.investigation"
    verbose_name = _("Utredning")
