"""Rules the decisions app adds to lifecycle moves (see cases.lifecycle.register_guard).

Enrolment needs its conditions (enrolment.blockers). And every decision move needs the
decision itself, recorded by the same person since the case's last move, so that no path
through the services can enrol or decline a case without reasons on file: the decision
services record the decision and then make the move in one transaction.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from insats.cases.lifecycle import State

from .models import CaseDecision

DECISION_MOVES = {
    (State.INVESTIGATION, State.DECLINED): (CaseDecision.Kind.CONTINUE_INVESTIGATION, False),
    (State.DECISION, State.ASSIGNMENT): (CaseDecision.Kind.ENROL, True),
    (State.DECISION, State.DECLINED): (CaseDecision.Kind.DECLINE, False),
    (State.DISCHARGED, State.IMPLEMENTATION): (CaseDecision.Kind.REOPEN, True),
}


@dataclass(frozen=True)
class DecisionRecorded:
    """Guard: the move's decision was recorded by this user since the case's last move."""

    kind: str
    outcome: bool

    def __call__(self, case, user) -> list[str]:
        since = case.transitions.order_by("-at", "-pk").values_list("at", flat=True).first()
        found = CaseDecision.objects.filter(
            case=case, kind=self.kind, outcome=self.outcome, decided_by=user
        )
        if since is not None:
            found = found.filter(decided_at__gte=since)
        if found.exists():
            return []
        return [_("Beslutet registreras på beslutssidan, med motivering.")]
