"""Helpers for the staff-safety tests: talks made through the real services, and the form data a
browser would post for the talk form."""

from datetime import date

import pytest
from django.utils import timezone

from insats.staffsafety import selectors, services
from insats.staffsafety.models import SafetyTalk
from tests.conftest import FormReader


def checklist(world) -> list:
    services.unit_copy_template_items(unit=world.unit)
    return list(selectors.checklist_items(world.unit.pk))


def make_talk(world, employee=None, held_on: date | None = None, *, by=None, sign=False):
    """A talk with every item gone through (the second without), made by the supervisor."""
    by = by or world.supervisor
    rows = [
        {"item": item, "gone_through": index != 1, "comment": f"Kommentar {index}"}
        for index, item in enumerate(checklist(world))
    ]
    talk = services.talk_create(
        unit=world.unit,
        by=by,
        employee=employee or world.coordinator,
        held_on=held_on or timezone.localdate(),
        manager=by,
        notes="Anteckning om samtalet.",
        items=rows,
    )
    if sign:
        talk = services.talk_sign(talk=talk, by=by)
    return SafetyTalk.objects.get(pk=talk.pk)


def talk_post(world, *, employee, held_on, manager, notes="", rows=None) -> dict:
    """The talk form as posted: `rows` maps an item's index to {gone_through, comment}."""
    items = checklist(world)
    data = {
        "employee": str(employee.pk) if employee else "",
        "held_on": held_on,
        "manager": str(manager.pk) if manager else "",
        "notes": notes,
        "punkter-TOTAL_FORMS": str(len(items)),
        "punkter-INITIAL_FORMS": str(len(items)),
        "punkter-MIN_NUM_FORMS": "0",
        "punkter-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        row = (rows or {}).get(index, {})
        data[f"punkter-{index}-row_id"] = str(item.pk)
        data[f"punkter-{index}-comment"] = row.get("comment", "")
        if row.get("gone_through"):
            data[f"punkter-{index}-gone_through"] = "on"
    return data


def form_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader.values


@pytest.fixture
def frozen_today():
    """Patch timezone.localdate (views, forms, services and selectors all ask it)."""
    from unittest import mock

    def freeze(day: date):
        return mock.patch("django.utils.timezone.localdate", return_value=day)

    return freeze
