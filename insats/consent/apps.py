from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "insats.consent"
    verbose_name = _("Samtycke")

    def ready(self):
        from insats.cases.lifecycle import CLOSED_STATES, register_on_enter

        from .services import consents_end_with_case

        for state in CLOSED_STATES:
            register_on_enter(state, consents_end_with_case)
