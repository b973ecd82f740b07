"""A safety talk from documentation to the security officer: create with both checklists, keep
input on errors, sign (never by the employee or a non-supervisor), freeze, share as a PDF."""

import smtplib
from datetime import timedelta
from io import BytesIO
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.organisations.models import Membership, Role
from insats.outbox import jobs as outbox_jobs
from insats.outbox.models import OutboundMessage
from insats.staffsafety import services
from insats.staffsafety.models import SafetyChecklistItem, SafetyTalk
from tests.conftest import make_user
from tests.outbox.helpers import deliver
from tests.staffsafety.conftest import checklist, form_values, make_talk, talk_post

TODAY = timezone.localdate


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- Creating -------------------------------------------------------------------------------


def test_supervisor_documents_a_talk_with_both_checklists(unit_a, login):
    client = login(unit_a.supervisor)
    items = checklist(unit_a)
    assert {item.checklist for item in items} == {"general", "social_media"}
    data = talk_post(
        unit_a,
        employee=unit_a.investigator,
        held_on=(TODAY() - timedelta(days=2)).isoformat(),
        manager=unit_a.supervisor,
        notes="Vi gick igenom larmrutinen.",
        rows={0: {"gone_through": True, "comment": "Klart."}, 3: {"gone_through": True}},
    )

    response = client.post(reverse("safety_talk_create"), data)

    talk = SafetyTalk.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("safety_talk_detail", args=[talk.pk])
    assert (talk.unit, talk.employee, talk.manager) == (
        unit_a.unit,
        unit_a.investigator,
        unit_a.supervisor,
    )
    assert talk.held_on == TODAY() - timedelta(days=2)
    assert talk.notes == "Vi gick igenom larmrutinen."
    assert not talk.is_signed
    saved = list(talk.items.order_by("checklist", "position"))
    assert [row.label for row in saved] == [item.label for item in items]
    assert [row.gone_through for row in saved] == [i in (0, 3) for i in range(len(items))]
    assert saved[0].comment == "Klart."
    assert AccessLogEntry.objects.filter(
        object_type="safety_talk", action="create", object_id=str(talk.pk), unit_id=unit_a.unit.pk
    ).exists()

    page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert items[0].label in body and items[-1].label in body
    assert "Samtalet är inte undertecknat ännu." in body


def test_the_form_offers_only_the_units_operative_staff(unit_a, unit_b, login):
    client = login(unit_a.supervisor)
    body = client.get(reverse("safety_talk_create")).content.decode()
    options = form_options(body, "employee")
    assert options == {
        str(u.pk) for u in (unit_a.coordinator, unit_a.coordinator2, unit_a.investigator)
    }

    data = talk_post(
        unit_a, employee=unit_b.coordinator, held_on=TODAY().isoformat(), manager=unit_a.supervisor
    )
    response = client.post(reverse("safety_talk_create"), data)
    assert response.status_code == 200
    assert "Välj en lots eller utredare i enheten." in response.content.decode()
    assert not SafetyTalk.objects.exists()


def form_options(body: str, name: str) -> set[str]:
    import re

    select = re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)
    return {value for value in re.findall(r'value="(\d+)"', select)}


def test_errors_are_swedish_and_keep_what_was_typed(unit_a, login):
    client = login(unit_a.supervisor)
    data = talk_post(
        unit_a,
        employee=None,
        held_on=(TODAY() + timedelta(days=1)).isoformat(),
        manager=unit_a.supervisor,
        notes="Mina anteckningar",
        rows={2: {"gone_through": True, "comment": "Viktig kommentar"}},
    )

    response = client.post(reverse("safety_talk_create"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Det finns fel i formuläret" in body
    assert "Välj den medarbetare samtalet hölls med." in body
    assert "Datumet kan inte ligga i framtiden." in body
    values = form_values(response)
    assert values["notes"][0].strip() == "Mina anteckningar"
    assert values["punkter-2-comment"] == ["Viktig kommentar"]
    assert values["punkter-2-gone_through"] == ["on"]
    assert values["held_on"] == [(TODAY() + timedelta(days=1)).isoformat()]
    assert not SafetyTalk.objects.exists()


def test_a_bad_date_gets_a_swedish_message(unit_a, login):
    client = login(unit_a.supervisor)
    data = talk_post(
        unit_a, employee=unit_a.coordinator, held_on="31/02/2025", manager=unit_a.supervisor
    )
    body = client.post(reverse("safety_talk_create"), data).content.decode()
    assert "Ange ett giltigt datum, t.ex. 2025-03-14." in body


def test_a_checklist_changed_while_typing_is_noticed(unit_a, login):
    client = login(unit_a.supervisor)
    data = talk_post(
        unit_a, employee=unit_a.coordinator, held_on=TODAY().isoformat(), manager=unit_a.supervisor
    )
    first = checklist(unit_a)[0]
    first.active = False
    first.save()

    response = client.post(reverse("safety_talk_create"), data)

    assert response.status_code == 200
    assert "Listan har ändrats medan du skrev" in response.content.decode()
    assert not SafetyTalk.objects.exists()


def test_supervisor_never_documents_their_own_talk(unit_a):
    Membership.objects.create(
        user=unit_a.supervisor, organisation=unit_a.social, role=Role.COORDINATOR
    )
    with pytest.raises(ValidationError) as error:
        make_talk(unit_a, employee=unit_a.supervisor)
    assert "Du kan inte dokumentera ditt eget säkerhetssamtal" in str(error.value)


def test_only_supervisors_create_talks(unit_a, login):
    for user in (unit_a.coordinator, unit_a.investigator, unit_a.leadership, unit_a.partner):
        client = login(user)
        assert client.get(reverse("safety_talk_create")).status_code == 404
        data = talk_post(
            unit_a, employee=unit_a.coordinator2, held_on=TODAY().isoformat(), manager=user
        )
        assert client.post(reverse("safety_talk_create"), data).status_code == 404
    assert not SafetyTalk.objects.exists()


# --- Signing and the freeze -----------------------------------------------------------------


def test_supervisor_signs_after_confirming(unit_a, login):
    talk = make_talk(unit_a)
    client = login(unit_a.supervisor_without_delegation)
    url = reverse("safety_talk_sign", args=[talk.pk])
    assert "Vill du underteckna" in client.get(url).content.decode()

    response = client.post(url)

    talk.refresh_from_db()
    assert response.status_code == 302
    assert talk.signed_by == unit_a.supervisor_without_delegation
    assert talk.signed_at is not None
    assert AccessLogEntry.objects.filter(
        object_type="safety_talk", action="change", object_id=str(talk.pk), detail="signed"
    ).exists()
    body = client.get(reverse("safety_talk_detail", args=[talk.pk])).content.decode()
    assert "Undertecknat av" in body
    assert "Underteckna</a>" not in body


def test_the_employee_cannot_sign_their_own_talk(unit_a, login):
    talk = make_talk(unit_a, employee=unit_a.coordinator)
    client = login(unit_a.coordinator)

    response = client.post(reverse("safety_talk_sign", args=[talk.pk]))

    assert response.status_code == 400
    assert "Du kan inte underteckna ditt eget säkerhetssamtal" in response.content.decode()
    talk.refresh_from_db()
    assert not talk.is_signed
    assert AccessLogEntry.objects.filter(
        object_type="safety_talk", action="denied", object_id=str(talk.pk), detail="sign"
    ).exists()


def test_a_supervisor_who_is_the_employee_cannot_sign(unit_a, login):
    """A supervisor who also works as a coordinator: another supervisor holds their talk, and
    they may not sign it themselves."""
    Membership.objects.create(
        user=unit_a.supervisor, organisation=unit_a.social, role=Role.COORDINATOR
    )
    talk = make_talk(unit_a, employee=unit_a.supervisor, by=unit_a.supervisor_without_delegation)
    client = login(unit_a.supervisor)

    response = client.post(reverse("safety_talk_sign", args=[talk.pk]))

    assert response.status_code == 400
    assert "Du kan inte underteckna ditt eget säkerhetssamtal" in response.content.decode()
    assert not SafetyTalk.objects.get(pk=talk.pk).is_signed


def test_a_non_supervisor_cannot_sign(unit_a, login):
    talk = make_talk(unit_a, employee=unit_a.coordinator)
    # A colleague who is not a supervisor cannot even see the talk.
    response = login(unit_a.coordinator2).post(reverse("safety_talk_sign", args=[talk.pk]))
    assert response.status_code == 404
    # And the service refuses anyone who is not a supervisor of the unit, in Swedish.
    with pytest.raises(ValidationError, match="Endast en arbetsledare i enheten"):
        services.talk_sign(talk=talk, by=unit_a.investigator)
    assert not SafetyTalk.objects.get(pk=talk.pk).is_signed


def test_a_signed_talk_cannot_be_changed(unit_a, login):
    talk = make_talk(unit_a, sign=True)
    client = login(unit_a.supervisor)
    url = reverse("safety_talk_edit", args=[talk.pk])

    page = client.get(url, follow=True)
    assert "Samtalet är undertecknat och kan inte ändras" in page.content.decode()

    data = talk_post(
        unit_a,
        employee=unit_a.coordinator,
        held_on=TODAY().isoformat(),
        manager=unit_a.supervisor,
        notes="Ändrad i efterhand",
    )
    response = client.post(url, data)
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.notes == "Anteckning om samtalet."
    with pytest.raises(ValidationError, match="undertecknat och kan inte ändras"):
        services.talk_update(
            talk=talk,
            by=unit_a.supervisor,
            employee=unit_a.coordinator,
            held_on=TODAY(),
            manager=unit_a.supervisor,
            notes="x",
            items=[],
        )
    with pytest.raises(ValidationError, match="redan undertecknat"):
        services.talk_sign(talk=talk, by=unit_a.supervisor_without_delegation)


def test_an_unsigned_talk_can_be_changed(unit_a, login):
    talk = make_talk(unit_a)
    client = login(unit_a.supervisor)
    url = reverse("safety_talk_edit", args=[talk.pk])
    page = client.get(url)
    values = form_values(page)
    assert values["notes"][0].strip() == "Anteckning om samtalet."
    assert values["punkter-0-comment"] == ["Kommentar 0"]
    data = {key: value[0] for key, value in values.items() if key != "csrfmiddlewaretoken"}
    data["notes"] = "Kompletterad."
    data.pop("punkter-0-gone_through", None)
    data["punkter-1-gone_through"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.notes == "Kompletterad."
    items = list(talk.items.order_by("checklist", "position"))
    assert (items[0].gone_through, items[1].gone_through) == (False, True)


def test_the_employee_reads_but_does_not_edit(unit_a, login):
    talk = make_talk(unit_a, employee=unit_a.coordinator)
    client = login(unit_a.coordinator)
    body = client.get(reverse("safety_talk_detail", args=[talk.pk])).content.decode()
    assert "Anteckning om samtalet." in body
    assert reverse("safety_talk_edit", args=[talk.pk]) not in body
    response = client.get(reverse("safety_talk_edit", args=[talk.pk]), follow=True)
    assert "Du kan inte ändra ditt eget säkerhetssamtal." in response.content.decode()


# --- Sharing and the PDF --------------------------------------------------------------------


def test_sharing_sends_the_signed_talk_as_a_pdf(unit_a, login):
    talk = make_talk(unit_a, employee=unit_a.investigator, sign=True)
    client = login(unit_a.supervisor)

    response = client.post(
        reverse("safety_talk_share", args=[talk.pk]),
        {"name": "Säkerhetsstrateg Fiktiv", "email": "sakerhet@exempel.invalid"},
    )

    assert response.status_code == 302
    deliver()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sakerhet@exempel.invalid"]
    assert message.subject == f"Säkerhetssamtal med Alfa-utredare Testsson {TODAY()} – Alfa"
    ((filename, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf"
    assert filename.endswith(".pdf")
    text = flat(pdf_text(content))
    for item in talk.items.all():
        assert flat(item.label) in text
    assert "Alfa-chef Testsson" in text  # the signer
    assert "Undertecknat av" in text
    assert "Alfa-utredare Testsson" in text  # the employee
    talk.refresh_from_db()
    assert talk.shared_on == TODAY()
    assert (talk.shared_with_name, talk.shared_with_email, talk.shared_by) == (
        "Säkerhetsstrateg Fiktiv",
        "sakerhet@exempel.invalid",
        unit_a.supervisor,
    )
    assert AccessLogEntry.objects.filter(
        object_type="safety_talk", action="export", detail="shared_with=sakerhet@exempel.invalid"
    ).exists()


def test_an_unsigned_talk_is_not_shared(unit_a, login):
    talk = make_talk(unit_a)
    client = login(unit_a.supervisor)
    response = client.post(
        reverse("safety_talk_share", args=[talk.pk]),
        {"name": "Säkerhetsstrateg Fiktiv", "email": "sakerhet@exempel.invalid"},
    )
    assert response.status_code == 400
    assert "Samtalet måste undertecknas innan det delges" in response.content.decode()
    deliver()
    assert not mail.outbox
    assert not SafetyTalk.objects.get(pk=talk.pk).is_shared


def test_a_bad_address_is_refused_in_swedish_and_kept(unit_a, login):
    talk = make_talk(unit_a, sign=True)
    client = login(unit_a.supervisor)
    response = client.post(
        reverse("safety_talk_share", args=[talk.pk]),
        {"name": "Säkerhetsstrateg Fiktiv", "email": "inte-en-adress"},
    )
    assert response.status_code == 200
    assert "Ange en giltig e-postadress" in response.content.decode()
    assert form_values(response)["email"] == ["inte-en-adress"]
    assert form_values(response)["name"] == ["Säkerhetsstrateg Fiktiv"]
    deliver()
    assert not mail.outbox


def test_a_mail_server_down_never_holds_the_share_and_the_pdf_goes_later(unit_a, login):
    """The supervisor does not wait on the mail server: the share is recorded with the e-mail
    in the outbox, and the delivery job sends it once the server answers."""
    talk = make_talk(unit_a, sign=True)
    client = login(unit_a.supervisor)
    down = smtplib.SMTPServerDisconnected("down")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=down
    ) as send:
        response = client.post(
            reverse("safety_talk_share", args=[talk.pk]),
            {"name": "Säkerhetsstrateg Fiktiv", "email": "sakerhet@exempel.invalid"},
        )
        assert response.status_code == 302
        send.assert_not_called()  # the request never talks to the mail server
        deliver()  # the job: the server is down
    assert not mail.outbox
    waiting = OutboundMessage.objects.get()
    assert waiting.status == OutboundMessage.Status.PENDING
    assert waiting.attempts == 1 and "down" in waiting.last_error
    assert SafetyTalk.objects.get(pk=talk.pk).is_shared

    outbox_jobs.deliver(now=timezone.now() + timedelta(minutes=2))
    (message,) = mail.outbox
    assert message.to == ["sakerhet@exempel.invalid"]
    ((filename, _content, mimetype),) = message.attachments
    assert mimetype == "application/pdf" and filename.endswith(".pdf")


def test_the_pdf_of_an_unsigned_talk_has_an_empty_signature_line(unit_a, login):
    talk = make_talk(unit_a)
    client = login(unit_a.coordinator)  # the employee may print their own talk
    response = client.get(reverse("safety_talk_pdf", args=[talk.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = flat(pdf_text(response.content))
    assert "Utkast – samtalet är inte undertecknat." in text
    assert "Arbetsledarens underskrift" in text
    assert AccessLogEntry.objects.filter(
        object_type="safety_talk", action="print", object_id=str(talk.pk)
    ).exists()


def test_item_text_is_copied_so_signed_talks_do_not_change(unit_a):
    talk = make_talk(unit_a, sign=True)
    item = SafetyChecklistItem.objects.filter(unit=unit_a.unit).order_by("position").first()
    original = item.label
    item.label = "Ny formulering"
    item.save()
    assert talk.items.get(item=item).label == original


def test_manager_must_be_a_supervisor_of_the_unit(unit_a):
    other = make_user("alfa-chef-annan", unit_a.police, Role.PARTNER)
    with pytest.raises(ValidationError, match="Välj en arbetsledare i enheten"):
        services.talk_create(
            unit=unit_a.unit,
            by=unit_a.supervisor,
            employee=unit_a.coordinator,
            held_on=TODAY(),
            manager=other,
            items=[],
        )


def test_a_supervisor_cannot_share_their_own_talk(unit_a, login):
    # A supervisor who also works as a coordinator has a talk another supervisor signed.
    Membership.objects.create(
        user=unit_a.supervisor, organisation=unit_a.social, role=Role.COORDINATOR
    )
    other = make_user("alfa-chef2", unit_a.social, Role.SUPERVISOR)
    talk = make_talk(unit_a, employee=unit_a.supervisor, by=other, sign=True)
    client = login(unit_a.supervisor)
    page = client.get(reverse("safety_talk_detail", args=[talk.pk])).content.decode()
    assert reverse("safety_talk_share", args=[talk.pk]) not in page
    response = client.post(
        reverse("safety_talk_share", args=[talk.pk]),
        {"name": "Säkerhetsstrateg Fiktiv", "email": "sakerhet@exempel.invalid"},
    )
    assert response.status_code == 400
    assert "Du kan inte själv delge ditt eget säkerhetssamtal" in response.content.decode()
    deliver()
    assert not mail.outbox
    assert not SafetyTalk.objects.get(pk=talk.pk).is_shared
    assert AccessLogEntry.objects.filter(
        user=unit_a.supervisor, action="denied", object_id=talk.pk, detail="share"
    ).exists()
