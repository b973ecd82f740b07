"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

Numbers are parsed once, at the edge, and stored as 12 normalised digits so that the century is
never guessed again later. Pure Python apart from the lazily translated error messages.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

PERSONNUMMER = "personnummer"
SAMORDNINGSNUMMER = "samordningsnummer"

# Samordningsnummer are personnummer with 60 added to the day of the month.
_COORDINATION_OFFSET = 60

# Only ASCII digits: \d would also match e.g. Arabic-Indic digits, which int() happily accepts.
_PATTERN = re.compile(
    r"(?P<date>[0-9]{6}|[0-9]{8})(?P<sep>[-+]?)(?P<serial>[0-9]{3})(?P<check>[0-9])"
)

_MSG_FORMAT = _("Ange numret som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN.")
_MSG_PLUS_WITH_CENTURY = _(
    "Plustecken används bara i tiosiffriga nummer (ÅÅMMDD+NNNN) för personer som fyllt 100 år."
)
_MSG_IMPOSSIBLE_DATE = _("Numret innehåller inget giltigt datum.")
_MSG_FUTURE_DATE = _("Födelsedatumet i numret ligger i framtiden.")
_MSG_CHECK_DIGIT = _("Kontrollsiffran stämmer inte. Kontrollera att numret är rätt inskrivet.")


class InvalidIdentityNumber(ValueError):
    """Raised by `parse`; `message` is the (lazy) Swedish text to show the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class IdentityNumber:
    """A validated number. `digits` keeps the day+60 of a samordningsnummer, as written."""

    digits: str
    kind: str
    birth_date: date

    def formatted(self) -> str:
        return format_digits(self.digits)

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


def luhn_check_digit(nine_digits: str) -> int:
    """The check digit for YYMMDDNNN (the century is not part of the checksum)."""
    if len(nine_digits) != 9 or not nine_digits.isascii() or not nine_digits.isdigit():
        raise ValueError(f"expected 9 ASCII digits, got {nine_digits!r}")
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day`; a 29 February child turns older on 1 March in common years.

    Comparing (month, day) pairs gives that rule for free: (2, 28) < (2, 29) <= (3, 1).
    Negative when `day` is before `birth_date`.
    """
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def format_digits(digits12: str) -> str:
    """Display form YYYYMMDD-NNNC of a stored 12-digit number."""
    if len(digits12) != 12 or not digits12.isascii() or not digits12.isdigit():
        raise ValueError(f"expected 12 ASCII digits, got {digits12!r}")
    return f"{digits12[:8]}-{digits12[8:]}"


def parse(text: str, today: date | None = None) -> IdentityNumber:
    """Validate and normalise a number as typed by a person; raise InvalidIdentityNumber.

    A 10-digit number only makes sense relative to `today`: with `-` (or no separator) the
    person is under 100, with `+` 100 or older. Checks run from the most to the least specific
    explanation of a typo: format, calendar date, future date, then the check digit.
    """
    if today is None:
        today = date.today()
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise InvalidIdentityNumber(_MSG_FORMAT)
    date_part, separator = match["date"], match["sep"]
    serial, check = match["serial"], match["check"]
    if len(date_part) == 8 and separator == "+":
        raise InvalidIdentityNumber(_MSG_PLUS_WITH_CENTURY)

    month = int(date_part[-4:-2])
    written_day = int(date_part[-2:])
    coordination = written_day > _COORDINATION_OFFSET
    day = written_day - _COORDINATION_OFFSET if coordination else written_day

    if len(date_part) == 8:
        year = int(date_part[:4])
    else:
        year = _full_year(int(date_part[:2]), month, day, separator == "+", today)

    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise InvalidIdentityNumber(_MSG_IMPOSSIBLE_DATE) from None
    if birth_date > today:
        raise InvalidIdentityNumber(_MSG_FUTURE_DATE)

    short = date_part[-6:]
    if luhn_check_digit(short + serial) != int(check):
        raise InvalidIdentityNumber(_MSG_CHECK_DIGIT)

    return IdentityNumber(
        digits=f"{year:04d}{short[2:]}{serial}{check}",
        kind=SAMORDNINGSNUMMER if coordination else PERSONNUMMER,
        birth_date=birth_date,
    )


def _full_year(yy: int, month: int, day: int, plus: bool, today: date) -> int:
    """The latest year ending in `yy` whose month/day is not after today; `+` means 100 earlier.

    Compares tuples rather than dates so that an impossible date (e.g. 29 February) still gets
    a century and is then rejected as an impossible date, not as a format error.
    """
    year = today.year - today.year % 100 + yy
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    if plus:
        year -= 100
    return year
