"""Tests for personnummer/samordningsnummer parsing, check digits and ages.

All numbers are made up: check digits come from the independent Luhn below, never from the
module under test, and no real person's number is used.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from insats.people.personnummer import (
    IdentityNumber,
    InvalidIdentityNumber,
    age_on,
    format_digits,
    luhn_check_digit,
    parse,
)

TODAY = date(2026, 11, 23)
PROPERTY = hypothesis_settings(max_examples=300, deadline=None)


# --- independent reference implementations ------------------------------------------------


def luhn_valid(ten_digits: str) -> bool:
    """Classic Luhn validation: from the right, double every second digit."""
    total = 0
    for position, char in enumerate(reversed(ten_digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def check_digit(nine_digits: str) -> str:
    """The one digit that makes the ten digits Luhn-valid (found by trying them all)."""
    (digit,) = [d for d in "0123456789" if luhn_valid(nine_digits + d)]
    return digit


def with_check(nine_digits: str) -> str:
    return nine_digits + check_digit(nine_digits)


def reference_age(birth: date, day: date) -> int:
    """Count the birthdays reached; a 29 February birthday falls on 1 March in common years."""

    def birthday(years: int) -> date:
        try:
            return birth.replace(year=birth.year + years)
        except ValueError:
            return date(birth.year + years, 3, 1)

    years = 0
    while birthday(years + 1) <= day:
        years += 1
    return years


def message_of(text: str, today: date = TODAY) -> str:
    """The untranslated (Swedish msgid) message of the rejection of `text`."""
    with pytest.raises(InvalidIdentityNumber) as info:
        parse(text, today=today)
    with translation.override(None):
        message = str(info.value)
        assert message == str(info.value.message)
    return message


# --- strategy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    birth_date: date
    coordination: bool
    digits12: str

    @property
    def ten(self) -> str:
        return self.digits12[2:]

    def spellings(self, today: date = TODAY) -> list[str]:
        short_separator = "+" if reference_age(self.birth_date, today) >= 100 else "-"
        spellings = [
            self.digits12,
            f"{self.digits12[:8]}-{self.digits12[8:]}",
            f"{self.ten[:6]}{short_separator}{self.ten[6:]}",
        ]
        if short_separator == "-":
            spellings.append(self.ten)
        return spellings


@st.composite
def valid_numbers(draw, min_date: date = date(1900, 1, 1), max_date: date = TODAY) -> Sample:
    birth = draw(st.dates(min_value=min_date, max_value=max_date))
    coordination = draw(st.booleans())
    serial = draw(st.integers(min_value=0, max_value=999))
    written_day = birth.day + 60 if coordination else birth.day
    nine = f"{birth.year % 100:02d}{birth.month:02d}{written_day:02d}{serial:03d}"
    return Sample(birth, coordination, f"{birth.year // 100:02d}{with_check(nine)}")


# --- properties -------------------------------------------------------------------------------


@PROPERTY
@given(valid_numbers())
def test_every_spelling_is_accepted_and_normalised(sample):
    expected_kind = "samordningsnummer" if sample.coordination else "personnummer"
    for spelling in sample.spellings():
        for padded in (spelling, f"  {spelling}\n"):
            number = parse(padded, today=TODAY)
            assert number.digits == sample.digits12, padded
            assert number.kind == expected_kind, padded
            assert number.birth_date == sample.birth_date, padded
            assert number.formatted() == f"{sample.digits12[:8]}-{sample.digits12[8:]}"


@PROPERTY
@given(
    valid_numbers(),
    st.integers(min_value=0, max_value=9),
    st.integers(1, 9),
    st.sampled_from(["", "-", "+"]),
)
def test_any_single_digit_change_is_rejected(sample, position, shift, separator):
    original = sample.ten
    changed = str((int(original[position]) + shift) % 10)
    mutated = original[:position] + changed + original[position + 1 :]
    assert mutated != original
    text = f"{mutated[:6]}{separator}{mutated[6:]}"
    message = message_of(text)
    if position >= 6:
        # The date is untouched, so only the checksum can object.
        assert "Kontrollsiffran" in message


@PROPERTY
@given(valid_numbers())
def test_plus_means_a_hundred_years_earlier(sample):
    minus = f"{sample.ten[:6]}-{sample.ten[6:]}"
    plus = f"{sample.ten[:6]}+{sample.ten[6:]}"
    young = parse(minus, today=TODAY)
    assert 0 <= reference_age(young.birth_date, TODAY) <= 99
    try:
        old_birth = young.birth_date.replace(year=young.birth_date.year - 100)
    except ValueError:  # 29 February in a century year that is not a leap year
        assert "datum" in message_of(plus)
        return
    old = parse(plus, today=TODAY)
    assert old.birth_date == old_birth
    assert reference_age(old.birth_date, TODAY) >= 100
    assert old.digits[2:] == young.digits[2:] == sample.ten
    assert int(old.digits[:4]) == int(young.digits[:4]) - 100


@PROPERTY
@given(
    st.dates(min_value=date(1850, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=150 * 366),
)
def test_age_matches_independent_count(birth, days_later):
    day = birth + timedelta(days=days_later)
    assert age_on(birth, day) == reference_age(birth, day)


@PROPERTY
@given(valid_numbers(), st.dates(min_value=TODAY, max_value=date(2130, 12, 31)))
def test_method_age_uses_the_real_birth_date(sample, day):
    number = parse(sample.digits12, today=TODAY)
    assert number.age_on(day) == reference_age(sample.birth_date, day)


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_luhn_check_digit_matches_reference(nine):
    assert str(luhn_check_digit(nine)) == check_digit(nine)


# --- hand-checked examples --------------------------------------------------------------------


def test_hand_checked_check_digits():
    # 1 2 1 2 1 2 1 2 1 weighted 2 1 2 1 ...: nine 2s = 18 -> check digit 2.
    assert luhn_check_digit("121212121") == 2
    # 0 1 0 1 6 2 1 2 3 -> 0 1 0 1 (12->3) 2 2 2 6 = 17 -> check digit 3.
    assert luhn_check_digit("010162123") == 3
    # 0 0 0 2 2 9 0 0 0 -> 0 0 0 2 4 9 0 0 0 = 15 -> check digit 5.
    assert luhn_check_digit("000229000") == 5
    # A sum divisible by 10 gives 0, not 10: ... 1 9 -> 1 + (18->9) = 10 -> check digit 0.
    assert luhn_check_digit("000000019") == 0
    assert luhn_check_digit("000000000") == 0


def test_hand_checked_personnummer_in_all_spellings():
    for text in ("19121212-1212", "191212121212", "121212+1212"):
        number = parse(text, today=TODAY)
        assert number == IdentityNumber("191212121212", "personnummer", date(1912, 12, 12))
        assert number.formatted() == "19121212-1212"
    # Without "+" the same ten digits belong to someone born in 2012.
    for text in ("121212-1212", "1212121212", "20121212-1212"):
        assert parse(text, today=TODAY).digits == "201212121212"


def test_hand_checked_samordningsnummer():
    number = parse("010162-1233", today=TODAY)
    assert number.kind == "samordningsnummer"
    assert number.digits == "200101621233"
    assert number.birth_date == date(2001, 1, 2)
    assert number.formatted() == "20010162-1233"


def test_samordningsnummer_day_range_edges():
    first = parse(with_check("230161000"), today=TODAY)
    last = parse(with_check("230191000"), today=TODAY)
    assert (first.kind, first.birth_date) == ("samordningsnummer", date(2023, 1, 1))
    assert (last.kind, last.birth_date) == ("samordningsnummer", date(2023, 1, 31))


def test_leap_day_births():
    number = parse("000229-0005", today=TODAY)
    assert number.birth_date == date(2000, 2, 29)
    coordination = parse("20" + with_check("240289123"), today=TODAY)
    assert (coordination.kind, coordination.birth_date) == ("samordningsnummer", date(2024, 2, 29))


@pytest.mark.parametrize(
    ("ten", "separator", "year"),
    [
        ("261123000", "-", 2026),  # born today: age 0
        ("261123000", "", 2026),
        ("261124000", "-", 1926),  # turns 100 tomorrow: still "-"
        ("261123000", "+", 1926),  # turns 100 today: "+"
        ("261124000", "+", 1826),
        ("000101000", "-", 2000),
        ("000101000", "+", 1900),
        ("991231000", "-", 1999),
        ("991231000", "+", 1899),
        ("261183000", "-", 2026),  # samordningsnummer for 23 Nov: century from the real day
        ("261184000", "-", 1926),  # ...and for 24 Nov, which would be in the future
    ],
)
def test_century_of_ten_digit_numbers(ten, separator, year):
    digits = with_check(ten)
    number = parse(f"{digits[:6]}{separator}{digits[6:]}", today=TODAY)
    assert number.birth_date.year == year
    assert number.digits == f"{year}{digits[2:]}"


def test_century_depends_on_today():
    digits = with_check("300615000")
    assert parse(f"{digits[:6]}-{digits[6:]}", today=date(2030, 6, 15)).birth_date.year == 2030
    assert parse(f"{digits[:6]}-{digits[6:]}", today=date(2030, 6, 14)).birth_date.year == 1930


def test_default_today_is_the_real_today():
    digits = with_check("000101000")
    number = parse(f"19{digits}")
    assert number.birth_date == date(1900, 1, 1)
    tomorrow = date.today() + timedelta(days=1)
    nine = f"{tomorrow:%y%m%d}000"
    with pytest.raises(InvalidIdentityNumber):
        parse(f"{tomorrow.year // 100}{with_check(nine)}")


# --- rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "date_part",
    [
        "20230229",  # not a leap year
        "19000229",  # century year, not a leap year
        "20231301",  # month 13
        "20230001",  # month 00
        "20230100",  # day 00
        "20230132",  # day 32
        "20230431",  # 31 April
        "20230160",  # day 60: neither kind of number
        "20230192",  # samordningsnummer day 92 (= 32)
        "20230289",  # samordningsnummer for 29 February in a common year
    ],
)
def test_impossible_dates_are_rejected(date_part):
    digits = date_part[:2] + with_check(date_part[2:] + "123")
    assert "datum" in message_of(digits)
    assert "datum" in message_of(f"{digits[:8]}-{digits[8:]}")


@pytest.mark.parametrize("date_part", ["230229", "231301", "230100", "230192"])
def test_impossible_dates_in_ten_digit_form_are_rejected(date_part):
    digits = with_check(date_part + "123")
    for separator in ("", "-", "+"):
        assert "datum" in message_of(f"{digits[:6]}{separator}{digits[6:]}")


@pytest.mark.parametrize("date_part", ["20261124", "20261184", "20270101", "21000101"])
def test_future_birth_dates_are_rejected(date_part):
    digits = date_part[:2] + with_check(date_part[2:] + "456")
    assert "framtiden" in message_of(f"{digits[:8]}-{digits[8:]}")


def test_born_today_is_accepted():
    digits = "20" + with_check("261123456")
    assert parse(digits, today=TODAY).birth_date == TODAY


def test_wrong_check_digit_is_rejected_with_its_own_message():
    right = with_check("121212121")
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    assert "Kontrollsiffran" in message_of(f"{wrong[:6]}-{wrong[6:]}")
    assert "Kontrollsiffran" in message_of(f"20{wrong}")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "121212-121",  # too short
        "121212-12122",  # too long
        "19121212-121",
        "1912121212122",
        "121212--1212",
        "121212 1212",
        "1212-12-1212",
        "121212\u20131212",  # en dash
        "12121a-1212",
        "\u0661\u0662\u0661\u0662\u0661\u0662-\u0661\u0662\u0661\u0662",  # Arabic-Indic digits
        "\u0661\u0662\u0661\u0662\u0661\u0662-1212",  # ...only in the date part
        "121212-\uff11\uff12\uff11\uff12",  # fullwidth digits in the serial part
        "1212121212\n1",
    ],
)
def test_bad_formats_are_rejected(text):
    assert "ÅÅÅÅMMDD-NNNN" in message_of(text)


def test_plus_with_twelve_digits_is_rejected():
    message = message_of("19121212+1212")
    assert "Plustecken" in message
    assert "ÅÅÅÅMMDD-NNNN" not in message


def test_each_kind_of_failure_has_its_own_message():
    messages = {
        message_of("1212"),  # format
        message_of("19121212+1212"),  # plus with century
        message_of("20" + with_check("230229123")),  # impossible date
        message_of("20" + with_check("270101123")),  # future
        message_of("191212121213"),  # check digit
    }
    assert len(messages) == 5


def test_exception_is_a_value_error_with_the_message():
    with pytest.raises(ValueError) as info:
        parse("nonsense", today=TODAY)
    assert isinstance(info.value, InvalidIdentityNumber)
    assert info.value.message is not None


# --- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "expected"),
    [
        (date(2008, 11, 23), date(2026, 11, 22), 17),  # day before the 18th birthday
        (date(2008, 11, 23), date(2026, 11, 23), 18),  # on the birthday
        (date(2008, 11, 23), date(2008, 11, 23), 0),
        (date(2008, 11, 23), date(2009, 11, 22), 0),
        (date(2008, 12, 31), date(2026, 1, 1), 17),
        (date(2000, 2, 29), date(2001, 2, 28), 0),  # common year: not yet on 28 Feb
        (date(2000, 2, 29), date(2001, 3, 1), 1),  # ...but on 1 March
        (date(2000, 2, 29), date(2004, 2, 28), 3),
        (date(2000, 2, 29), date(2004, 2, 29), 4),  # leap year: on 29 Feb
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(1912, 12, 12), TODAY, 113),
    ],
)
def test_age_examples(birth, day, expected):
    assert age_on(birth, day) == expected
    assert reference_age(birth, day) == expected


def test_age_before_birth_is_negative():
    assert age_on(date(2020, 5, 5), date(2020, 1, 1)) < 0
    assert age_on(date(2020, 5, 5), date(2019, 6, 1)) < 0


def test_format_digits():
    assert format_digits("191212121212") == "19121212-1212"
    for bad in ("", "19121212121", "1912121212123", "19121212-121", "19121212121a"):
        with pytest.raises(ValueError):
            format_digits(bad)


@pytest.mark.parametrize("bad", ["", "12345678", "1234567890", "12345678a", "1234-5678"])
def test_luhn_check_digit_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        luhn_check_digit(bad)
