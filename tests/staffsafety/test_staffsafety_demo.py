"""The demo's staff-safety data: an overdue staff member, a signed and shared talk, an unsigned
one and competence checklists; loading twice adds nothing."""

from django.utils import timezone

from insats.demo import staffsafety as demo
from insats.staffsafety import selectors
from insats.staffsafety.models import CompetenceRecord, SafetyTalk


def test_demo_data_shows_every_state_and_is_idempotent(unit_a):
    today = timezone.localdate()
    demo.load(unit_a.unit, today)

    talks = list(SafetyTalk.objects.filter(unit=unit_a.unit))
    assert len(talks) == 3
    assert sum(1 for t in talks if t.is_signed and t.is_shared) == 2
    assert sum(1 for t in talks if not t.is_signed) == 1
    statuses = [row.status for row in selectors.staff_overview(unit_a.unit, today)]
    assert selectors.Status.OVERDUE in statuses
    assert selectors.Status.OK in statuses
    assert CompetenceRecord.objects.filter(unit=unit_a.unit, met_on__isnull=False).exists()
    assert CompetenceRecord.objects.filter(unit=unit_a.unit, met_on__isnull=True).exists()
    counts = (SafetyTalk.objects.count(), CompetenceRecord.objects.count())

    demo.load(unit_a.unit, today)

    assert (SafetyTalk.objects.count(), CompetenceRecord.objects.count()) == counts
