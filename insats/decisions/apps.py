from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecisionsConfig(AppConfig):
    name = "insats.decisions"
    verbose_name = _("Beslut")

    def ready(self):
        from insats.cases.lifecycle import State, register_guard

        from .enrolment import blockers
        from .guards import DECISION_MOVES, DecisionRecorded

        register_guard(State.DECISION, State.ASSIGNMENT, blockers)
        for (source, target), (kind, outcome) in DECISION_MOVES.items():
            register_guard(source, target, DecisionRecorded(kind, outcome))
