"""Only members with a ground are proposed for a case's own meeting (issue item 8).

The case's group holds the police (a consent covers them), a school user (no consent covers
the school), an aunt without an account whom the consent names, a football coach without a
duty of confidentiality and a field worker with one, neither named by the consent. Staff and
the police and the aunt are pre-ticked; the others are listed unticked with a Swedish warning
saying why. A planner may still invite the coach on purpose: the service then sends them the
time and place only, never the case's alias, number or a link.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from insats.access import policy
from insats.consent import services as consent_services
from insats.meetings.models import Meeting
from tests import builders
from tests.meetings.test_ics import unfolded
from tests.meetings.test_meetings import create_url, form_values, ics_of
from tests.outbox.helpers import deliver

COACH_WARNING = "Saknar tystnadsplikt och nämns inte i samtycket"
NOT_NAMED_WARNING = "Nämns inte i samtycket: får inte veta vad mötet gäller."


class Group:
    def __init__(self, world):
        self.world = world
        self.case = builders.identified_case(world)
        builders.police_member(world, self.case)
        self.school_member = builders.school_member(world, self.case)
        self.school = builders.school_user(world)

        def external(name, email, duty):
            return consent_services.member_add_external(
                case=self.case,
                by=world.coordinator,
                name=name,
                email=email,
                function="Nätverk",
                has_confidentiality_duty=duty,
            )

        self.coach = external("Tränare Tränarsson", "coach@example.org", False)
        self.aunt = external("Moster Mostersson", "moster@example.org", False)
        self.field_worker = external("Fältare Fältsson", "falt@example.org", True)
        self.consent = builders.consent(world, self.case)
        self.consent.network_members.add(self.aunt)

    def url(self) -> str:
        return create_url(kind="individual", case=self.case.pk)


@pytest.fixture
def group(unit_a) -> Group:
    return Group(unit_a)


def test_only_members_with_a_ground_are_pre_ticked(group, login):
    world = group.world
    response = login(world.coordinator).get(group.url())

    assert response.status_code == 200
    ticked = set(form_values(response)["invitees"])
    assert ticked == {
        f"u{world.coordinator.pk}",
        f"u{world.partner.pk}",
        f"c{group.aunt.pk}",
    }
    body = response.content.decode()
    for key in (f"u{group.school.pk}", f"c{group.coach.pk}", f"c{group.field_worker.pk}"):
        assert f'value="{key}"' in body  # listed, so the planner can still choose them
    coach_row = body.split(f'value="c{group.coach.pk}"')[1].split("</label>")[0]
    assert COACH_WARNING in coach_row
    field_row = body.split(f'value="c{group.field_worker.pk}"')[1].split("</label>")[0]
    assert NOT_NAMED_WARNING in field_row and "tystnadsplikt" not in field_row
    school_row = body.split(f'value="u{group.school.pk}"')[1].split("</label>")[0]
    assert f"Samtycket omfattar inte {world.school.name}" in school_row
    aunt_row = body.split(f'value="c{group.aunt.pk}"')[1].split("</label>")[0]
    assert "tag--warning" not in aunt_row


def test_planning_with_the_proposal_leaves_out_those_without_a_ground(group, login):
    client = login(group.world.coordinator)
    values = form_values(client.get(group.url()))
    values.update(
        {
            "date": [(timezone.localdate() + timedelta(days=5)).isoformat()],
            "start_time": ["10:00"],
            "end_time": ["11:00"],
            "place": ["Kontoret"],
        }
    )

    assert client.post(group.url(), values).status_code == 302

    meeting = Meeting.objects.get()
    invited = {i.display_name for i in meeting.invitations.all()}
    assert "Moster Mostersson" in invited
    assert "Tränare Tränarsson" not in invited
    assert "Fältare Fältsson" not in invited
    assert group.school.get_full_name() not in invited


def test_a_coach_invited_on_purpose_is_sent_no_case_content(group, login, mailoutbox):
    world = group.world
    world.partner.email = "polis@example.org"
    world.partner.save()
    client = login(world.coordinator)
    values = form_values(client.get(group.url()))
    values.update(
        {
            "date": [(timezone.localdate() + timedelta(days=5)).isoformat()],
            "start_time": ["10:00"],
            "end_time": ["11:00"],
            "place": ["Kontoret"],
            "invitees": [*values["invitees"], f"c{group.coach.pk}"],
        }
    )
    assert client.post(group.url(), values).status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.invitations.filter(name="Tränare Tränarsson").exists()
    # The edit page keeps the coach ticked, with the warning beside them.
    edit = client.get(reverse("meeting_edit", args=[meeting.pk])).content.decode()
    invitation = meeting.invitations.get(name="Tränare Tränarsson")
    coach_row = edit.split(f'value="i{invitation.pk}"')[1].split("</label>")[0]
    assert "checked" in edit.split(f'value="i{invitation.pk}"')[1].split(">")[0]
    assert COACH_WARNING in coach_row

    client.post(reverse("meeting_send_invitations", args=[meeting.pk]))

    deliver()
    by_address = {mail.to[0]: mail for mail in mailoutbox}
    person = group.case.person
    secrets = (group.case.alias, group.case.number, person.first_name, person.last_name)
    coach_mail = by_address["coach@example.org"]
    text = unfolded(ics_of(coach_mail)) + coach_mail.subject + coach_mail.body
    for secret in secrets:
        assert secret not in text, secret
    assert reverse("meeting_detail", args=[meeting.pk]) not in text
    assert "Kontoret" in text  # the time and place, and nothing about the case
    police_mail = by_address["polis@example.org"]
    assert group.case.alias in unfolded(ics_of(police_mail)) + police_mail.subject


def test_the_ground_follows_the_consent(group):
    members = list(group.case.members.filter(removed_at__isnull=True))
    warnings = policy.invitee_grounds(group.case, members)
    assert warnings[group.aunt.pk] == ""
    assert COACH_WARNING in warnings[group.coach.pk]

    group.consent.network_members.add(group.coach)
    assert policy.invitee_grounds(group.case, members)[group.coach.pk] == ""

    consent_services.consent_revoke(
        consent=group.consent,
        by=group.world.coordinator,
        revoked_on=timezone.localdate(),
        how="muntligt",
    )
    warnings = policy.invitee_grounds(group.case, members)
    assert COACH_WARNING in warnings[group.coach.pk]
    assert COACH_WARNING in warnings[group.aunt.pk]
    assert (
        "Samtycket omfattar inte"
        in warnings[next(m.pk for m in members if m.user_id == group.world.partner.pk)]
    )
