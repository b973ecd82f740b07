"""The risk assessment service: the summary is the professional's own, the scales are data."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.risk import defaults, services
from insats.risk.models import RiskAssessment, RiskInstrument, RiskItem
from tests.builders import identified_case


def savry() -> RiskInstrument:
    return RiskInstrument.objects.get(unit=None, name=defaults.SAVRY_NAME)


def save(case, by, *, instrument=None, ratings=None, **overrides):
    instrument = instrument or savry()
    values = {
        "case": case,
        "by": by,
        "instrument": instrument,
        "assessed_on": timezone.localdate(),
        "summary": "Måttlig",
        "summary_reasons": "Samlad bedömning utifrån samtal och register.",
        "ratings": ratings if ratings is not None else [],
        "extra_factors": [],
    }
    values.update(overrides)
    return services.risk_assessment_save(**values)


def all_items(instrument, risk_level, protective_level):
    return [
        {
            "item": item,
            "level": protective_level if item.protective else risk_level,
            "critical": False,
        }
        for item in instrument.items.all()
    ]


def test_savry_default_is_shared_and_complete(unit_a):
    instrument = savry()
    assert instrument.unit_id is None
    assert (instrument.age_min, instrument.age_max) == (12, 18)
    assert instrument.items.count() == 30
    assert instrument.summary_scale == ["Låg", "Måttlig", "Hög"]
    assert RiskItem.objects.get(instrument=instrument, code="P1").scale == ["Finns", "Saknas"]
    assert list(services.instruments_for(unit_a.unit)) == [instrument]


@pytest.mark.parametrize(
    ("risk_level", "protective_level", "summary"),
    [("Hög", "Saknas", "Låg"), ("Låg", "Finns", "Hög"), ("Hög", "Saknas", "Måttlig")],
)
def test_summary_is_stored_exactly_as_chosen(unit_a, risk_level, protective_level, summary):
    case = identified_case(unit_a, age=16)
    instrument = savry()
    assessment = save(
        case,
        unit_a.investigator,
        ratings=all_items(instrument, risk_level, protective_level),
        summary=summary,
    )
    assessment.refresh_from_db()
    assert assessment.summary == summary
    assert assessment.ratings.count() == 30
    assert set(assessment.ratings.values_list("level", flat=True)) == {
        risk_level,
        protective_level,
    }


def test_level_outside_the_items_scale_is_refused(unit_a):
    case = identified_case(unit_a, age=16)
    instrument = savry()
    h1 = instrument.items.get(code="H1")
    p1 = instrument.items.get(code="P1")
    for item, level in ((h1, "Extrem"), (h1, "Finns"), (p1, "Hög")):
        with pytest.raises(ValidationError) as caught:
            save(case, unit_a.investigator, ratings=[{"item": item, "level": level}])
        assert "ratings" in caught.value.error_dict
        assert "finns inte i skalan" in str(caught.value)
    assert not RiskAssessment.objects.exists()


def test_blank_level_means_not_rated(unit_a):
    case = identified_case(unit_a, age=16)
    h1 = savry().items.get(code="H1")
    assessment = save(
        case, unit_a.investigator, ratings=[{"item": h1, "level": "", "critical": True}]
    )
    rating = assessment.ratings.get()
    assert (rating.level, rating.critical) == ("", True)


def test_item_of_another_instrument_is_refused(unit_a):
    case = identified_case(unit_a, age=16)
    other = RiskInstrument.objects.create(unit=unit_a.unit, name="Eget", age_min=12, age_max=29)
    foreign = RiskItem.objects.create(instrument=other, domain="D", code="X1", title="X")
    with pytest.raises(ValidationError) as caught:
        save(case, unit_a.investigator, ratings=[{"item": foreign, "level": "Låg"}])
    assert "hör inte till instrumentet" in str(caught.value)


def test_summary_reasons_date_and_extra_factors_are_checked(unit_a):
    case = identified_case(unit_a, age=16)
    with pytest.raises(ValidationError) as caught:
        save(
            case,
            unit_a.investigator,
            summary="Extrem",
            summary_reasons="  ",
            assessed_on=timezone.localdate() + timedelta(days=1),
            extra_factors=[{"protective": False, "description": " ", "level": "Hög"}],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"summary", "summary_reasons", "assessed_on", "extra_factors"}
    assert "Skriv skälen" in errors["summary_reasons"][0]
    assert "framtiden" in errors["assessed_on"][0]


def test_extra_factor_level_follows_its_kind(unit_a):
    case = identified_case(unit_a, age=16)
    assessment = save(
        case,
        unit_a.investigator,
        extra_factors=[
            {"protective": False, "description": "Skuld till äldre", "level": "Hög"},
            {"protective": True, "description": "Tränaren", "level": "Finns", "critical": True},
        ],
    )
    assert [(f.description, f.protective, f.level) for f in assessment.extra_factors.all()] == [
        ("Skuld till äldre", False, "Hög"),
        ("Tränaren", True, "Finns"),
    ]
    with pytest.raises(ValidationError):
        save(
            case,
            unit_a.investigator,
            extra_factors=[{"protective": True, "description": "Tränaren", "level": "Hög"}],
        )


def test_instrument_of_another_unit_or_inactive_is_refused(unit_a, unit_b):
    case = identified_case(unit_a, age=16)
    theirs = RiskInstrument.objects.create(unit=unit_b.unit, name="B:s", age_min=12, age_max=29)
    with pytest.raises(ValidationError) as caught:
        save(case, unit_a.investigator, instrument=theirs)
    assert "annan enhet" in caught.value.message_dict["instrument"][0]
    assert theirs not in services.instruments_for(unit_a.unit)

    retired = RiskInstrument.objects.create(
        unit=unit_a.unit, name="Gammalt", age_min=12, age_max=29, active=False
    )
    with pytest.raises(ValidationError) as caught:
        save(case, unit_a.investigator, instrument=retired)
    assert "används inte längre" in caught.value.message_dict["instrument"][0]
    assert retired not in services.instruments_for(unit_a.unit)


def test_new_version_keeps_the_instrument(unit_a):
    case = identified_case(unit_a, age=16)
    first = save(case, unit_a.investigator)
    own = RiskInstrument.objects.create(unit=unit_a.unit, name="Eget", age_min=12, age_max=29)
    with pytest.raises(ValidationError):
        save(case, unit_a.investigator, instrument=own, previous=first)
    second = save(case, unit_a.coordinator, previous=first, summary="Hög")
    first.refresh_from_db()
    assert (second.version, second.series, first.is_current) == (2, first.series, False)
    entries = AccessLogEntry.objects.filter(object_type="risk", case_id=case.pk)
    assert set(entries.values_list("action", flat=True)) == {"create", "change"}


def test_partners_and_closed_cases_cannot_save(unit_a):
    case = identified_case(unit_a, age=16)
    with pytest.raises(PermissionDenied):
        save(case, unit_a.partner)
    case.state = "discharged"
    case.save()
    with pytest.raises(PermissionDenied):
        save(case, unit_a.coordinator)


def test_age_for_uses_the_person_or_the_age_at_intake(unit_a):
    adult = identified_case(unit_a, age=20)
    assert services.age_for(adult, timezone.localdate()) == 20
    assert "20 år" in services.age_warning(adult, savry(), timezone.localdate())
    young = identified_case(unit_a, age=16)
    assert services.age_warning(young, savry(), timezone.localdate()) is None
    anonymous = unit_a.case(age=19)
    assert services.age_for(anonymous) == 19
    assert services.age_warning(anonymous, savry()) is not None
