"""The access log cannot be edited (SPEC §7): append-only, and hash-chained so tampering shows.

`verify()` walks the chain and names the first entry whose link does not hold; the management
command `verify_access_log` fails with that id. On PostgreSQL a trigger also refuses UPDATE and
DELETE; the tampering tests switch it off inside their own transaction to play the attacker.
"""

from contextlib import contextmanager
from datetime import date, timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from insats.access import log
from insats.access.models import AccessLogEntry, AccessLogHead, AppendOnlyError
from insats.cases.models import CaseMember
from insats.consent import services
from insats.organisations.models import InformationCategory, User

ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
TABLE = AccessLogEntry._meta.db_table
TRIGGER = "access_log_append_only"
TEXT_FIELDS = ["username", "object_type", "object_id", "category", "grounds", "detail"]
ID_FIELDS = ["unit_id", "case_id", "person_id"]
MUTABLE_FIELDS = ["at", "user_id", "action", *TEXT_FIELDS, *ID_FIELDS, "prev_hash", "hash"]


@contextmanager
def trigger_disabled():
    """Play the attacker with direct database access: on PostgreSQL switch the trigger off."""
    if not ON_POSTGRES:
        yield
        return
    # Deferred foreign-key checks of this transaction must fire before ALTER TABLE may run.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def raw_update(pk: int, column: str, value) -> None:
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


def raw_delete(pk: int) -> None:
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608


def changed_value(entry: AccessLogEntry, field: str, other_user: User):
    """A value for `field` that differs from the entry's, in database form."""
    if field == "at":
        return connection.ops.adapt_datetimefield_value(entry.at + timedelta(seconds=1))
    if field == "user_id":
        return None if entry.user_id is not None else other_user.pk
    if field == "action":
        choices = [a for a in AccessLogEntry.Action.values if a != entry.action]
        return choices[0]
    if field in ID_FIELDS:
        current = getattr(entry, field)
        return None if current is not None else 424242
    if field in ("prev_hash", "hash"):
        return "f" * 64 if getattr(entry, field) != "f" * 64 else "e" * 64
    return getattr(entry, field)[:-1] + "X" if getattr(entry, field) else "X"


@pytest.fixture
def logged(unit_a, kit_case):
    """Several real logged actions: views, a search, a print, a change."""
    case = kit_case
    user = unit_a.coordinator
    entries = [
        log.record(
            user=user,
            action=log.Action.VIEW,
            object_type="case",
            case=case,
            object_id=case.pk,
            grounds=["role:coordinator@unit:1"],
        ),
        log.record(
            user=user, action=log.Action.SEARCH, object_type="case_list", detail="q=Åsa cases=1,2"
        ),
        log.record(
            user=unit_a.supervisor,
            action=log.Action.PRINT,
            object_type="consent_form",
            case=case,
            object_id=case.pk,
            category="health,criminality",
        ),
        log.record(
            user=None, action=log.Action.DENIED, object_type="case", case=case, detail="anonym"
        ),
        log.record(
            user=user,
            action=log.Action.CHANGE,
            object_type="person",
            person=case.person,
            object_id=case.person.pk,
            detail="ändrade adress 😀",
        ),
    ]
    return [AccessLogEntry.objects.get(pk=e.pk) for e in entries]


@pytest.fixture
def kit_case(unit_a):
    person = unit_a.person(first="Åsa", last="Loggsson", birth=date(2005, 2, 3), serial=911)
    return unit_a.case(person=person)


def command_output() -> str:
    out = StringIO()
    call_command("verify_access_log", stdout=out)
    return out.getvalue()


# --- an intact chain ---------------------------------------------------------------------------


def test_an_intact_chain_verifies(logged):
    result = log.verify()
    assert result.ok
    assert result.broken_at is None
    assert result.checked == AccessLogEntry.objects.count() >= len(logged)
    assert f"Access log intact: {result.checked} entries." in command_output()


def test_each_entry_links_to_the_one_before(logged):
    chain = list(AccessLogEntry.objects.order_by("pk"))
    assert chain[0].prev_hash == log.GENESIS
    for before, after in pairwise(chain):
        assert after.prev_hash == before.hash
    head = AccessLogHead.objects.get(pk=1)
    assert head.last_hash == chain[-1].hash
    assert head.count == len(chain)


def test_an_empty_log_verifies(db):
    assert not AccessLogEntry.objects.exists()
    result = log.verify()
    assert result.ok
    assert result.checked == 0


@pytest.mark.parametrize(
    "path", ["/", "/arenden/{pk}/", "/arenden/{pk}/grupp/", "/personer/{person}/"]
)
def test_real_requests_append_to_an_intact_chain(unit_a, kit_case, login, path):
    client = login(unit_a.coordinator)
    since = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assert client.get(path.format(pk=kit_case.pk, person=kit_case.person_id)).status_code == 200
    new = list(AccessLogEntry.objects.filter(pk__gt=since, user=unit_a.coordinator))
    assert any(
        e.case_id == kit_case.pk
        or e.person_id == kit_case.person_id
        or f"cases={kit_case.pk}" in e.detail
        for e in new
    ), new
    assert log.verify().ok


@pytest.mark.parametrize("query", ["", "?q=Loggsson"])
def test_the_case_list_and_search_are_logged(unit_a, kit_case, login, query):
    client = login(unit_a.coordinator)
    before = AccessLogEntry.objects.count()
    response = client.get(f"/arenden/{query}")
    assert response.status_code == 200
    assert kit_case.person.full_name in response.content.decode()
    new = list(AccessLogEntry.objects.order_by("pk")[before:])
    assert any(str(kit_case.pk) in e.detail or e.case_id == kit_case.pk for e in new)


# --- tampering with raw SQL --------------------------------------------------------------------


@pytest.mark.parametrize("field", MUTABLE_FIELDS)
def test_changing_any_field_of_a_middle_row_is_detected(logged, unit_a, field):
    target = logged[2]
    raw_update(target.pk, field, changed_value(target, field, unit_a.investigator))

    result = log.verify()
    assert not result.ok
    assert result.broken_at == target.pk
    with pytest.raises(CommandError, match=rf"at entry {target.pk}\b"):
        call_command("verify_access_log", stdout=StringIO())


@pytest.mark.parametrize("position", [0, -1])
def test_changing_the_first_or_last_row_is_detected(logged, unit_a, position):
    target = logged[position]
    raw_update(target.pk, "detail", target.detail + " (ändrad)")
    result = log.verify()
    assert not result.ok
    assert result.broken_at == target.pk


def test_deleting_a_middle_row_is_detected_at_the_next_entry(logged):
    raw_delete(logged[2].pk)
    result = log.verify()
    assert not result.ok
    assert result.broken_at == logged[3].pk
    assert "link broken" in result.problem
    with pytest.raises(CommandError, match=rf"at entry {logged[3].pk}\b"):
        call_command("verify_access_log", stdout=StringIO())


def test_deleting_the_last_row_is_detected_by_the_head(logged):
    raw_delete(logged[-1].pk)
    result = log.verify()
    assert not result.ok
    assert result.broken_at is None
    assert "head" in result.problem
    with pytest.raises(CommandError, match="newest entries missing"):
        call_command("verify_access_log", stdout=StringIO())


def test_emptying_the_whole_log_is_detected(logged):
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
    result = log.verify()
    assert not result.ok
    assert result.checked == 0


def test_a_forged_entry_appended_by_sql_is_detected(logged):
    last = logged[-1]
    forged = AccessLogEntry(
        at=last.at,
        user=None,
        username="",
        action="view",
        object_type="case",
        prev_hash=last.hash,
        hash="a" * 64,
    )
    AccessLogEntry.objects.bulk_create([forged])  # bypasses log.record()
    result = log.verify()
    assert not result.ok
    assert result.broken_at == AccessLogEntry.objects.order_by("-pk").first().pk


# --- the ORM refuses changes -------------------------------------------------------------------


def test_saving_an_existing_entry_is_refused(logged):
    entry = logged[1]
    entry.detail = "försök att ändra"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.save(update_fields=["detail"])
    assert AccessLogEntry.objects.get(pk=entry.pk).detail == "q=Åsa cases=1,2"


def test_deleting_an_entry_is_refused(logged):
    with pytest.raises(AppendOnlyError):
        logged[1].delete()
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(pk=logged[1].pk).delete()
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.filter(pk=logged[1].pk).exists()


def test_queryset_update_is_refused(logged):
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(pk=logged[1].pk).update(detail="ändrad")
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.all().update(username="någon")
    entry = logged[1]
    entry.detail = "ändrad"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AccessLogEntry.objects.bulk_update([entry], ["detail"])
    assert log.verify().ok


@pytest.mark.skipif(not ON_POSTGRES, reason="the database trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "sql",
    [f"UPDATE {TABLE} SET detail = 'x' WHERE id = %s", f"DELETE FROM {TABLE} WHERE id = %s"],  # noqa: S608
    ids=["update", "delete"],
)
def test_postgresql_refuses_raw_sql_changes(logged, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [logged[1].pk])
    assert AccessLogEntry.objects.get(pk=logged[1].pk).detail == logged[1].detail
    assert log.verify().ok


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_offers_no_change_or_delete(db, client):
    superuser = User.objects.create_superuser("rot", password="test-password-123")
    entry = log.record(user=superuser, action="view", object_type="case")
    if admin.site.is_registered(AccessLogEntry):
        model_admin = admin.site._registry[AccessLogEntry]
        request = RequestFactory().get("/admin/")
        request.user = superuser
        assert not model_admin.has_change_permission(request, entry)
        assert not model_admin.has_delete_permission(request, entry)
        assert not model_admin.has_add_permission(request)
    client.force_login(superuser)
    change = client.post(f"/admin/access/accesslogentry/{entry.pk}/change/", {"detail": "ändrad"})
    delete = client.post(f"/admin/access/accesslogentry/{entry.pk}/delete/", {"post": "yes"})
    assert change.status_code in (302, 403, 404) and delete.status_code in (302, 403, 404)
    assert AccessLogEntry.objects.get(pk=entry.pk).detail == ""
    assert log.verify().ok


# --- a bug: the category column is too short for a partner's categories ------------------------


def test_a_partner_under_a_consent_covering_every_category_is_logged(unit_a, kit_case, login):
    every = list(InformationCategory.objects.filter(unit=unit_a.unit, active=True))
    today = timezone.localdate()
    services.consent_create(
        case=kit_case,
        by=unit_a.coordinator,
        organisations=[unit_a.police],
        categories=every,
        place="Testköping",
        signed_on=today,
        valid_from=today,
        valid_until=today + timedelta(days=90),
        officer_name="Lotta Lotsdotter",
        officer_phone="08-1",
        officer_organisation=unit_a.social,
        person_signed=True,
    )
    CaseMember.objects.create(
        case=kit_case, user=unit_a.partner, organisation=unit_a.police, added_by=unit_a.coordinator
    )
    response = login(unit_a.partner).get(f"/arenden/{kit_case.pk}/")
    assert response.status_code == 200
    entry = AccessLogEntry.objects.filter(user=unit_a.partner, action="view").latest("pk")
    assert set(entry.category.split(",")) == {c.code for c in every}


# --- property: any single mutation is found, at the right place --------------------------------

record_strategy = st.fixed_dictionaries(
    {
        "who": st.sampled_from(["coordinator", "supervisor", "anonymous"]),
        "action": st.sampled_from(AccessLogEntry.Action.values),
        "object_type": st.sampled_from(["case", "person", "consent", "access_log"]),
        "with_case": st.booleans(),
        "detail": st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    }
)


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=st.lists(record_strategy, min_size=1, max_size=30),
    data=st.data(),
)
def test_any_single_mutation_is_detected_where_it_happened(unit_a, kit_case, records, data):
    users = {"coordinator": unit_a.coordinator, "supervisor": unit_a.supervisor, "anonymous": None}
    with transaction.atomic():
        ids = [
            log.record(
                user=users[r["who"]],
                action=r["action"],
                object_type=r["object_type"],
                case=kit_case if r["with_case"] else None,
                object_id=kit_case.pk if r["with_case"] else "",
                detail=r["detail"],
            ).pk
            for r in records
        ]
        assert log.verify().ok

        index = data.draw(st.integers(0, len(ids) - 1), label="row")
        mutation = data.draw(st.sampled_from(["delete", *MUTABLE_FIELDS]), label="mutation")
        if mutation == "delete":
            raw_delete(ids[index])
            expected = ids[index + 1] if index + 1 < len(ids) else None
        else:
            entry = AccessLogEntry.objects.get(pk=ids[index])
            raw_update(entry.pk, mutation, changed_value(entry, mutation, unit_a.investigator))
            expected = ids[index]

        result = log.verify()
        transaction.set_rollback(True)

    assert not result.ok
    assert result.broken_at == expected, result


def test_a_read_over_several_units_appends_one_linked_entry_per_unit(logged, unit_a, unit_b):
    before = AccessLogEntry.objects.count()
    log.record_units(
        user=unit_a.analyst,
        action=log.Action.VIEW,
        object_type="statistics",
        unit_ids=[unit_b.unit.pk, unit_a.unit.pk, unit_a.unit.pk],
        detail="period=2026-01-01..2026-04-30",
    )
    added = list(AccessLogEntry.objects.order_by("pk")[before:])
    assert [entry.unit_id for entry in added] == sorted({unit_a.unit.pk, unit_b.unit.pk})
    assert {entry.username for entry in added} == {unit_a.analyst.username}
    result = log.verify()
    assert result.ok and result.checked == before + 2
