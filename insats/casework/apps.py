from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "insats.casework"
    verbose_name = _("Praktiska frågor, ekonomi och återvändare")
