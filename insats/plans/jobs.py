"""Daily reminders for the action plans: measures that have become overdue, follow-ups missed.

Idempotent and catching up: each overdue measure is reminded once (until its due date
changes), each missed follow-up date once; the reminder is claimed in the database and its
e-mail enqueued in the same transaction (insats.outbox delivers it after commit), so two
overlapping runs cannot both send it.

An e-mail says no more than its recipient may see: the case's alias, never the person's name;
the measure's text only to the user responsible for it, and only while they may see it (staff
of the case's unit, or a member whose consent covers the goal's life area).
"""

from datetime import date

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import policy
from insats.cases.lifecycle import CLOSED_STATES
from insats.outbox.services import enqueue

from .models import ActionPlan, PlanFollowUp, PlanMeasure


def remind_overdue(today: date) -> int:
    """Send the reminders not yet sent; returns the number of e-mails sent."""
    return _remind_measures(today) + _remind_follow_ups(today)


def _remind_measures(today: date) -> int:
    measures = (
        PlanMeasure.objects.filter(
            status__in=PlanMeasure.OPEN, due_on__lt=today, overdue_reminded_on__isnull=True
        )
        .exclude(plan__case__state__in=CLOSED_STATES)
        .select_related("plan__case", "goal__life_area", "responsible_member__user")
        .select_related("responsible_staff")
        .order_by("pk")
    )
    sent = 0
    for measure in measures:
        user = _responsible_user(measure)
        if user is None or not _may_see(user, measure, today):
            continue
        with transaction.atomic():
            # Claimed only as read: a due date moved or a status changed meanwhile wins.
            claimed = PlanMeasure.objects.filter(
                pk=measure.pk,
                overdue_reminded_on__isnull=True,
                due_on=measure.due_on,
                status__in=PlanMeasure.OPEN,
            ).update(overdue_reminded_on=today)
            if claimed:
                _send_measure_reminder(measure, user, today)
                sent += 1
    return sent


def _send_measure_reminder(measure: PlanMeasure, user, today: date) -> None:
    alias = measure.plan.case.alias
    enqueue(
        key=f"measure-overdue:{measure.pk}:{measure.due_on}:{today}",
        to=[user.email],
        subject=_("Åtgärd försenad: %(alias)s") % {"alias": alias},
        body=_(
            'Åtgärden "%(what)s" i handlingsplanen för %(alias)s skulle vara klar '
            "%(day)s. Rapportera hur det går under Mina åtgärder."
        )
        % {"what": measure.what, "alias": alias, "day": measure.due_on.isoformat()},
    )


def _responsible_user(measure: PlanMeasure):
    """The user responsible for the measure, if they can be reached by e-mail."""
    member = measure.responsible_member
    if member is not None:
        user = member.user if member.removed_at is None else None
    else:
        user = measure.responsible_staff
    if user is None or not user.is_active or not user.email:
        return None
    return user


def _may_see(user, measure: PlanMeasure, today: date) -> bool:
    """Staff of the case's unit see every measure; a member only under a covering consent."""
    case = measure.plan.case
    if case.unit_id in policy.staff_units(user):
        return True
    categories = policy.partner_categories(user, [case.pk], today).get(case.pk, set())
    return measure.goal.life_area.category_code in categories


def _remind_follow_ups(today: date) -> int:
    followed_up = PlanFollowUp.objects.filter(
        plan=OuterRef("pk"), held_on__gte=OuterRef("follow_up_day")
    )
    not_reminded = Q(follow_up_reminded_for__isnull=True) | ~Q(
        follow_up_reminded_for=F("next_follow_up_at")
    )
    plans = (
        ActionPlan.objects.filter(next_follow_up_at__date__lt=today)
        .annotate(follow_up_day=TruncDate("next_follow_up_at"))
        .filter(not_reminded)
        .exclude(case__state__in=CLOSED_STATES)
        .exclude(Exists(followed_up))
        .select_related("case__coordinator")
        .order_by("pk")
    )
    sent = 0
    for plan in plans:
        coordinator = plan.case.coordinator
        if coordinator is None or not coordinator.email:
            continue
        if plan.case.unit_id not in policy.staff_units(coordinator):
            continue  # no longer works in the unit (or deactivated)
        with transaction.atomic():
            claimed = (
                ActionPlan.objects.filter(pk=plan.pk, next_follow_up_at=plan.next_follow_up_at)
                .filter(not_reminded)
                .update(follow_up_reminded_for=plan.next_follow_up_at)
            )
            if not claimed:
                continue
            alias = plan.case.alias
            day = timezone.localtime(plan.next_follow_up_at).date()
            enqueue(
                key=f"follow-up-missed:{plan.pk}:{plan.next_follow_up_at.isoformat()}:{today}",
                to=[coordinator.email],
                subject=_("Uppföljning av handlingsplan saknas: %(alias)s") % {"alias": alias},
                body=_(
                    "Handlingsplanen för %(alias)s skulle följas upp %(day)s, men ingen "
                    "uppföljning är registrerad. Registrera uppföljningen under Handlingsplan i "
                    "ärendet, eller ange ett nytt datum för nästa uppföljning."
                )
                % {"alias": alias, "day": day.isoformat()},
            )
            sent += 1
    return sent
