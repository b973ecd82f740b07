"""The meeting side of the gate (insats/access/gate/meetings.py): every object page is handed
its object by a gate decorator that decides and logs, and what a page may not show is cut
before the template."""

from django.urls import reverse

from insats.access.models import AccessLogEntry
from insats.meetings.views import agenda, deviations, groups, meetings
from insats.organisations.models import Membership
from tests import builders
from tests.meetings.test_deviations import deviation
from tests.meetings.test_meetings import make_meeting

GATED = {
    meetings.meeting_detail: "meeting",
    meetings.meeting_edit: "meeting",
    meetings.meeting_send_invitations: "meeting",
    agenda.agenda: "meeting",
    agenda.meeting_mode: "meeting",
    agenda.agenda_item_pdf: "agenda_item",
    agenda.agenda_item_move: "agenda_item",
    agenda.task_done: "task",
    deviations.deviation_detail: "deviation",
    deviations.deviation_handle: "deviation",
    groups.group_detail: "group",
    groups.contact_reviewed: "contact",
    groups.agreement_edit: "agreement",
    meetings.calendar_feed: "calendar_feed",
}


def test_object_pages_are_wrapped_by_the_gate():
    for view, kind in GATED.items():
        assert view.gate == kind, view.__name__
        expected = "public" if kind == "calendar_feed" else "object"
        assert view.access_policy == expected, view.__name__


def test_a_partner_who_may_see_a_meeting_but_not_plan_it_is_refused_and_logged(unit_a, login):
    meeting = make_meeting(unit_a)  # the police partner sits in the steering group
    client = login(unit_a.partner)

    assert client.get(reverse("meeting_edit", args=[meeting.pk])).status_code == 404

    assert AccessLogEntry.objects.filter(
        user=unit_a.partner,
        action="denied",
        object_type="meeting",
        object_id=str(meeting.pk),
        detail="manage",
    ).exists()


def test_a_deviations_case_reaches_the_page_only_with_a_ground(unit_a, login):
    """The reporter's case link is handed to the page only while they may see the case."""
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)
    reported = deviation(unit_a, by=unit_a.partner, case=case)
    client = login(unit_a.partner)
    url = reverse("deviation_detail", args=[reported.pk])

    assert client.get(url).context["linked_case"] == case
    assert client.get(reverse("deviations")).context["lines"][0].case == case

    case.consents.update(revoked_on=case.consents.get().valid_from)
    response = client.get(url)
    assert response.status_code == 200  # still their own report
    assert response.context["linked_case"] is None
    assert case.alias not in response.content.decode()
    assert client.get(reverse("deviations")).context["lines"][0].case is None
    # Once the reporter no longer works in the unit, their report is closed to them too.
    Membership.objects.filter(user=unit_a.partner).update(active=False)
    assert client.get(url).status_code == 404
