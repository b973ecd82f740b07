"""The needs and resource inventory pages (bilaga 3.1), as staff use them.

Creating, completing, editing (a new version each time, the old one still readable), the
conflict when two people edit the same version, the side-by-side overview with the change
between inventories, the printable PDF and the query count of the overview.
"""

from datetime import timedelta
from io import BytesIO

from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.investigation import services as inv
from insats.investigation.models import Inventory
from insats.organisations.models import LifeArea
from tests import builders
from tests.conftest import FormReader

# --- helpers ----------------------------------------------------------------------------------


def areas_of(case) -> list[LifeArea]:
    return list(inv.unit_life_areas(case))


def area(case, code: str) -> LifeArea:
    return LifeArea.objects.get(unit_id=case.unit_id, code=code)


def form_values(response) -> dict[str, list[str]]:
    """What the browser would submit again from the rendered page."""
    reader = FormReader()
    reader.feed(response.content.decode())
    values = {
        name: [value.removeprefix("\n") for value in values]
        for name, values in reader.values.items()
    }
    values.pop("csrfmiddlewaretoken", None)
    values.pop("language", None)
    values.pop("next", None)
    return values


def value(values, name: str) -> str:
    found = values.get(name, [""])
    return found[0] if found else ""


def fill(values: dict, case, **rows) -> dict:
    """Set rows by life-area code: code=(own, staff, wants_change "ja"/"nej"/"", note)."""
    index = {a.code: i for i, a in enumerate(areas_of(case))}
    for code, (own, staff, wants, note) in rows.items():
        prefix = f"omraden-{index[code]}-"
        values[prefix + "own_rating"] = [str(own) if own else ""]
        values[prefix + "staff_rating"] = [str(staff) if staff else ""]
        values[prefix + "wants_change"] = [wants]
        values[prefix + "note"] = [note]
    return values


def fill_all(values: dict, case, own=3, staff=2) -> dict:
    return fill(values, case, **{a.code: (own, staff, "ja", "") for a in areas_of(case)})


def create_url(case) -> str:
    return reverse("inventory_create", args=[case.pk])


def list_url(case) -> str:
    return reverse("inventory_list", args=[case.pk])


def save(world, case, *, days_ago=0, own=3, staff=3, rows=None, previous=None, **fields):
    """An inventory through the service: every active area rated own/staff, with overrides."""
    rows = rows or {}
    ratings = []
    for a in areas_of(case):
        o, s = rows.get(a.code, (own, staff))
        ratings.append(
            {"life_area": a, "own_rating": o, "staff_rating": s, "wants_change": None, "note": ""}
        )
    return inv.inventory_save(
        case=case,
        by=world.investigator,
        assessed_on=timezone.localdate() - timedelta(days=days_ago),
        ratings=ratings,
        previous=previous,
        **fields,
    )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


# --- creating ---------------------------------------------------------------------------------


def test_the_form_has_one_fieldset_per_active_life_area(unit_a, login):
    case = builders.identified_case(unit_a)
    housing = area(case, "housing")
    housing.active = False
    housing.save()

    response = login(unit_a.investigator).get(create_url(case))

    assert response.status_code == 200
    page = response.content.decode()
    legends = [a.label for a in areas_of(case)]
    for label in legends:
        assert f"<legend>{label}</legend>" in page
    assert "<legend>Boende</legend>" not in page
    assert page.count('class="rating-row"') == len(legends)
    assert "1 – Mycket dåligt" in page and "5 – Mycket bra" in page
    assert "Inventeringen är klar" in page
    assert value(form_values(response), "assessed_on") == timezone.localdate().isoformat()


def test_staff_create_a_complete_inventory(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = fill_all(form_values(client.get(create_url(case))), case)
    values = fill(values, case, housing=(1, 2, "ja", "Bor hos en kompis."))
    values.update(
        motivation=["4"],
        motivation_note=["Vill ha ett jobb."],
        priority_1=[str(area(case, "housing").pk)],
        priority_2=[str(area(case, "occupation").pk)],
        completed=["on"],
    )

    response = client.post(create_url(case), values)

    inventory = Inventory.objects.get(case=case)
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory_detail", args=[case.pk, inventory.pk])
    assert inventory.completed and inventory.motivation == 4 and inventory.version == 1
    assert [a.code for a in inventory.priorities] == ["housing", "occupation"]
    housing = inventory.ratings.get(life_area__code="housing")
    assert (housing.own_rating, housing.staff_rating, housing.wants_change) == (1, 2, True)
    assert housing.note == "Bor hos en kompis."
    assert inventory.ratings.count() == len(areas_of(case))
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="inventory", action="create", user=unit_a.investigator
    ).exists()

    page = client.get(response["Location"]).content.decode()
    assert "Inventeringen är sparad." in page
    assert "1 – Mycket dåligt" in page and "Bor hos en kompis." in page
    assert "4 – God" in page and "Vill ha ett jobb." in page


def test_a_draft_may_leave_areas_unrated(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.coordinator)
    values = fill(form_values(client.get(create_url(case))), case, economy=(2, None, "", ""))

    response = client.post(create_url(case), values)

    assert response.status_code == 302
    inventory = Inventory.objects.get(case=case)
    assert not inventory.completed
    assert inventory.ratings.get(life_area__code="economy").own_rating == 2
    assert inventory.ratings.get(life_area__code="housing").own_rating is None


def test_a_complete_inventory_is_refused_while_an_area_lacks_a_rating(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = fill_all(form_values(client.get(create_url(case))), case)
    values = fill(values, case, economy=(4, None, "nej", "Har skulder."))
    values.update(motivation=["3"], priority_1=[str(area(case, "economy").pk)], completed=["on"])

    response = client.post(create_url(case), values)

    assert response.status_code == 200
    assert not Inventory.objects.filter(case=case).exists()
    page = response.content.decode()
    assert "Det finns fel i formuläret" in page
    assert "Inventeringen kan inte markeras som klar" in page
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Ekonomi" in summary and "Boende" not in summary
    kept = form_values(response)
    index = [a.code for a in areas_of(case)].index("economy")
    assert kept[f"omraden-{index}-own_rating"] == ["4"]
    assert kept[f"omraden-{index}-staff_rating"] == [""]
    assert kept[f"omraden-{index}-wants_change"] == ["nej"]
    assert kept[f"omraden-{index}-note"] == ["Har skulder."]
    assert kept["motivation"] == ["3"] and kept["completed"] == ["on"]


def test_a_complete_inventory_needs_motivation_and_a_priority(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = fill_all(form_values(client.get(create_url(case))), case)
    values.update(completed=["on"])

    page = client.post(create_url(case), values).content.decode()
    assert "Ange motivation innan inventeringen markeras som klar." in page

    values.update(motivation=["2"])
    page = client.post(create_url(case), values).content.decode()
    assert "Ange minst ett prioriterat område innan inventeringen markeras som klar." in page
    assert 'href="#id_priority_1"' in page
    assert not Inventory.objects.filter(case=case).exists()


def test_form_errors_are_swedish_and_keep_the_input(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = fill(form_values(client.get(create_url(case))), case, family=(5, 4, "ja", "Mamma"))
    tomorrow = timezone.localdate() + timedelta(days=1)
    housing = str(area(case, "housing").pk)
    values.update(assessed_on=[tomorrow.isoformat()], priority_1=[housing], priority_2=[housing])

    response = client.post(create_url(case), values)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ett område kan bara prioriteras en gång." in page
    kept = form_values(response)
    assert kept["priority_1"] == [housing] and kept["priority_2"] == [housing]
    assert kept["assessed_on"] == [tomorrow.isoformat()]

    values.update(priority_2=[""])
    response = client.post(create_url(case), values)
    assert "Datumet kan inte ligga i framtiden." in response.content.decode()
    index = [a.code for a in areas_of(case)].index("family")
    assert form_values(response)[f"omraden-{index}-note"] == ["Mamma"]

    values.update(assessed_on=[""])
    assert "Detta fält måste fyllas i." in client.post(create_url(case), values).content.decode()
    assert not Inventory.objects.filter(case=case).exists()


def test_a_priority_must_not_skip_a_step(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = form_values(client.get(create_url(case)))
    values.update(priority_2=[str(area(case, "housing").pk)])

    response = client.post(create_url(case), values)

    assert response.status_code == 200
    assert "Fyll i prioriteringarna i ordning" in response.content.decode()


def test_a_changed_list_of_life_areas_is_noticed(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = fill_all(form_values(client.get(create_url(case))), case)
    LifeArea.objects.filter(unit_id=case.unit_id, code="housing").update(active=False)

    response = client.post(create_url(case), values)

    assert response.status_code == 200
    assert "Enhetens lista över livsområden har ändrats" in response.content.decode()
    assert not Inventory.objects.filter(case=case).exists()


def test_the_rows_follow_the_life_areas_not_the_management_form(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = fill_all(form_values(client.get(create_url(case))), case)
    del values["omraden-TOTAL_FORMS"]
    values["omraden-INITIAL_FORMS"] = ["2"]

    response = client.post(create_url(case), values)

    assert response.status_code == 302
    assert Inventory.objects.get(case=case).ratings.count() == len(areas_of(case))


# --- editing: versions and conflicts --------------------------------------------------------


def test_edit_prefills_the_version_and_saves_a_new_one(unit_a, login):
    case = builders.identified_case(unit_a)
    first = save(
        unit_a,
        case,
        own=2,
        staff=3,
        motivation=3,
        motivation_note="Tveksam.",
        priorities=[area(case, "occupation")],
    )
    client = login(unit_a.coordinator)
    edit_url = reverse("inventory_edit", args=[case.pk, first.pk])

    values = form_values(client.get(edit_url))
    index = [a.code for a in areas_of(case)].index("occupation")
    assert values[f"omraden-{index}-own_rating"] == ["2"]
    assert values[f"omraden-{index}-staff_rating"] == ["3"]
    assert values["motivation"] == ["3"] and values["motivation_note"] == ["Tveksam."]
    assert values["priority_1"] == [str(area(case, "occupation").pk)]

    values = fill(values, case, occupation=(4, 4, "ja", "Har fått praktik."))
    response = client.post(edit_url, values)

    second = Inventory.objects.get(case=case, superseded_at__isnull=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory_detail", args=[case.pk, second.pk])
    assert (second.version, second.series) == (2, first.series)
    assert second.ratings.get(life_area__code="occupation").own_rating == 4
    first.refresh_from_db()
    assert not first.is_current
    assert first.ratings.get(life_area__code="occupation").own_rating == 2
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="inventory", action="change", object_id=str(second.pk)
    ).exists()

    detail = reverse("inventory_detail", args=[case.pk, second.pk])
    page = client.get(detail).content.decode()
    assert "Inventeringen är sparad som version 2." in page
    assert "Har fått praktik." in page
    assert f'href="?version={first.pk}"' in page
    assert f'href="{reverse("inventory_edit", args=[case.pk, second.pk])}"' in page

    old = client.get(f"{detail}?version={first.pk}").content.decode()
    assert "Du läser version 1, som har ersatts av en nyare." in old
    assert "Har fått praktik." not in old
    assert "Ändra</a>" not in old  # only the current version is edited


def test_an_old_edit_link_leads_to_the_current_version(unit_a, login):
    case = builders.identified_case(unit_a)
    first = save(unit_a, case)
    second = save(unit_a, case, previous=first)

    response = login(unit_a.investigator).get(reverse("inventory_edit", args=[case.pk, first.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("inventory_edit", args=[case.pk, second.pk])


def test_two_edits_of_the_same_version_conflict_and_the_second_keeps_its_data(unit_a, login):
    case = builders.identified_case(unit_a)
    first = save(unit_a, case)
    edit_url = reverse("inventory_edit", args=[case.pk, first.pk])
    alice = login(unit_a.coordinator)
    values_a = form_values(alice.get(edit_url))
    values_b = fill(dict(values_a), case, leisure=(5, 4, "nej", "Spelar fotboll igen."))

    assert alice.post(edit_url, fill(values_a, case, leisure=(1, 1, "", ""))).status_code == 302
    bob = login(unit_a.investigator)
    response = bob.post(edit_url, values_b)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Någon annan har sparat en nyare version (version 2" in page
    index = [a.code for a in areas_of(case)].index("leisure")
    assert form_values(response)[f"omraden-{index}-note"] == ["Spelar fotboll igen."]
    assert Inventory.objects.filter(series=first.series).count() == 2


def test_version_of_another_series_or_case_is_not_found(unit_a, login):
    case = builders.identified_case(unit_a)
    other_case = builders.identified_case(unit_a)
    mine, other_series = save(unit_a, case), save(unit_a, case)
    foreign = save(unit_a, other_case)
    client = login(unit_a.coordinator)
    detail = reverse("inventory_detail", args=[case.pk, mine.pk])

    assert client.get(f"{detail}?version={other_series.pk}").status_code == 404
    assert client.get(f"{detail}?version=x").status_code == 404
    assert client.get(reverse("inventory_detail", args=[case.pk, foreign.pk])).status_code == 404
    assert client.get(reverse("inventory_edit", args=[case.pk, foreign.pk])).status_code == 404


# --- the overview, side by side ---------------------------------------------------------------


def test_the_empty_overview_links_to_the_first_inventory(unit_a, login):
    case = builders.identified_case(unit_a)

    page = login(unit_a.coordinator).get(list_url(case)).content.decode()

    assert 'class="empty"' in page and "Ingen behovs- och resursinventering är gjord." in page
    assert f'href="{create_url(case)}"' in page


def test_the_overview_shows_inventories_side_by_side_with_the_change(unit_a, login):
    case = builders.identified_case(unit_a)
    # Recorded in the "wrong" order: the columns follow the inventory dates.
    later = save(
        unit_a,
        case,
        days_ago=0,
        rows={"housing": (4, 3), "economy": (2, 2)},
        motivation=5,
        priorities=[area(case, "economy"), area(case, "housing")],
    )
    Inventory.objects.filter(pk=later.pk).update(recorded_at=timezone.now() - timedelta(days=90))
    earlier = save(unit_a, case, days_ago=60, rows={"housing": (2, 3), "economy": (3, 2)})
    earlier.ratings.filter(life_area__code="family").update(wants_change=True)

    response = login(unit_a.investigator).get(list_url(case))

    assert response.status_code == 200
    page = response.content.decode()
    columns = [i.pk for i in response.context["inventories"]]
    assert columns == [earlier.pk, later.pk]
    first_detail = reverse("inventory_detail", args=[case.pk, earlier.pk])
    second_detail = reverse("inventory_detail", args=[case.pk, later.pk])
    assert page.index(first_detail) < page.index(second_detail)

    housing = row_of(page, "Boende")
    assert "↑ +2" in housing and "förbättring med 2 steg" in housing
    assert "→ 0" in housing  # staff rating unchanged
    economy = row_of(page, "Ekonomi")
    assert "↓ −1" in economy and "försämring med 1 steg" in economy
    assert 'class="visually-hidden"' in economy
    assert "Vill förändring" in row_of(page, "Familj")
    assert "5 – Mycket hög" in row_of(page, "Motivation")
    assert "<li>Ekonomi</li><li>Boende</li>" in row_of(page, "Prioriterade områden")
    assert f'href="{create_url(case)}"' in page


def row_of(page: str, header: str) -> str:
    return page.split(f'<th scope="row">{header}</th>', 1)[1].split("</tr>", 1)[0]


def test_the_overview_shows_only_current_versions(unit_a, login):
    case = builders.identified_case(unit_a)
    first = save(unit_a, case, own=1)
    current = save(unit_a, case, own=2, previous=first)

    response = login(unit_a.coordinator).get(list_url(case))

    assert [i.pk for i in response.context["inventories"]] == [current.pk]


def test_the_overview_query_count_does_not_grow_with_inventories(
    unit_a, login, django_assert_max_num_queries
):
    case = builders.identified_case(unit_a)
    save(unit_a, case, motivation=3, priorities=[area(case, "housing"), area(case, "family")])
    client = login(unit_a.coordinator)
    client.get(list_url(case))  # warm-up

    with django_assert_max_num_queries(30) as one:
        assert client.get(list_url(case)).status_code == 200
    for days in range(1, 5):
        save(
            unit_a,
            case,
            days_ago=days * 30,
            own=days,
            motivation=2,
            priorities=[area(case, "economy"), area(case, "leisure"), area(case, "network")],
        )
    with django_assert_max_num_queries(30) as five:
        response = client.get(list_url(case))

    assert len(response.context["inventories"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_detail_query_count_does_not_grow_with_versions(
    unit_a, login, django_assert_max_num_queries
):
    case = builders.identified_case(unit_a)
    record = save(unit_a, case, motivation=3, priorities=[area(case, "housing")])
    client = login(unit_a.coordinator)
    client.get(reverse("inventory_detail", args=[case.pk, record.pk]))

    with django_assert_max_num_queries(30) as one:
        client.get(reverse("inventory_detail", args=[case.pk, record.pk]))
    for _ in range(4):
        record = save(unit_a, case, previous=record, priorities=[area(case, "family")])
    with django_assert_max_num_queries(30) as five:
        client.get(reverse("inventory_detail", args=[case.pk, record.pk]))

    assert len(five.captured_queries) == len(one.captured_queries)


# --- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_has_the_areas_and_ratings(unit_a, login):
    case = builders.identified_case(unit_a)
    record = save(
        unit_a,
        case,
        rows={"housing": (1, 2), "economy": (5, 4)},
        motivation=4,
        motivation_note="Vill flytta hemifrån.",
        priorities=[area(case, "housing")],
    )

    response = login(unit_a.coordinator).get(reverse("inventory_pdf", args=[case.pk, record.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "behovs- och resursinventering" in text.lower()
    assert case.number in text
    for a in areas_of(case):  # a narrow column may wrap "Sysselsättning/skola" after the slash
        assert a.label in text.replace("/ ", "/")
    assert "1 – Mycket dåligt" in text and "2 – Dåligt" in text
    assert "5 – Mycket bra" in text and "4 – Bra" in text
    assert "4 – God" in text and "Vill flytta hemifrån." in text
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="inventory", action="print", user=unit_a.coordinator
    ).exists()
