from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffSafetyConfig(AppConfig):
    name = "insats.staffsafety"
    label = "staffsafety"
    verbose_name = _("Personalsäkerhet och kompetens")
