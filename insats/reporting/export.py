"""The de-identified follow-up data set for the central analyst (CSV and XLSX).

One row per case of the chosen units that was open at some point in the period, with the
facts as they stood at the period's end. The data set never carries a name, identity number,
alias, case number, free text or exact date:

- **case_key** is a keyed hash (HMAC-SHA256) of the recipient and the case: the same case has
  the same key in every export to the same analyst (so follow-ups can be linked over time),
  another key for any other recipient, and nobody without the installation's key can turn it
  back into a case.
- Dates are months (YYYY-MM), ages are bands, the time to decision is whole weeks.
- The quasi-identifiers (unit, intake month, age band, source, discharge month) are
  generalised with `anonymity.generalise` so that every published combination is shared by at
  least k rows (k = settings.STATISTICS_MIN_CELL), row by row as little as needed (LEVELS):
  month → tertial → tertial with wide age bands and no source → year → no dates → nothing
  ("*" everywhere, the unit too). Fewer than k rows are not released.
- There is no decision month: with the intake month and the weeks to decision beside it, it
  would narrow the intake to a few days at the month's ends (or recover a generalised month).
- Rows are sorted by case_key (pseudo-random), not by case id, so the order reveals nothing
  about the order of intake.

File formats (decided here, described on the export page):
- CSV: UTF-8 with a byte-order mark and `;` as separator — what Swedish Excel opens directly —
  with one header row of stable machine names, so R (`read.csv2`), SPSS and pandas read it
  without help. Costs are whole kronor, so no decimal separator is involved.
- XLSX: sheet "Data" with the column headings on row 1 and the machine names on row 2, data
  from row 3; sheet "Kodbok" with each column's description and the export's parameters.
- Values (labels of choices and of the units' lists) are always written in Swedish, whatever
  the user's interface language, so that two exports of the same data are byte-comparable.

The data set is built with a fixed number of queries, whatever the number of cases.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insats.cases.lifecycle import CLOSED_STATES, State
from insats.cases.models import Case, CaseTransition, Source
from insats.casework.models import Placement
from insats.casework.services_economy import placement_costs
from insats.consent.models import Consent
from insats.decisions.models import CaseDecision, FollowUpAssessment, FollowUpRating
from insats.decisions.selectors import INDICATORS
from insats.organisations.models import DischargeReason, LifeArea

from . import anonymity
from .periods import Period

OBJECT_TYPE = "statistics_export"
FORMATS = ("csv", "xlsx")
CSV_DELIMITER = ";"
# Only this label and the installation's secret feed the derived key: changing either gives
# every recipient new case keys (documented for the operators in the report).
_KEY_LABEL = b"insats.reporting.export:case-key:v1"
# The first decision that ends the investigation, as on the statistics page.
FIRST_DECISION_KINDS = (CaseDecision.Kind.ENROL, CaseDecision.Kind.DECLINE)
# Age at intake: (lowest age, band, wide band), youngest first.
AGE_BANDS = (
    (0, "0–11", "0–17"),
    (12, "12–14", "0–17"),
    (15, "15–17", "0–17"),
    (18, "18–20", "18–29"),
    (21, "21–24", "18–29"),
    (25, "25–29", "18–29"),
    (30, "30+", "30+"),
)
ANY = "*"
YES, NO = gettext_lazy("ja"), gettext_lazy("nej")


class TooFewCases(Exception):
    """Fewer rows than k: the data set would single people out, so nothing is released."""

    def __init__(self, count: int, k: int):
        super().__init__(count, k)
        self.count = count
        self.k = k

    @property
    def message(self) -> str:
        return _(
            "För få ärenden för att lämna ut: urvalet har %(count)s ärenden och minst "
            "%(k)s krävs för att ingen ska kunna pekas ut. Välj fler enheter eller en "
            "längre period."
        ) % {"count": self.count, "k": self.k}


# --- Columns and codebook ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # stable machine name: the CSV header and the XLSX's second row
    header: str  # Swedish heading
    description: str  # one line for the codebook


def _base_columns() -> list[Column]:
    level_note = _(
        "Grövre (tertial ÅÅÅÅ-T1, år ÅÅÅÅ eller ”*”) när färre än k ärenden annars skulle "
        "dela samma kombination av enhet, månader, åldersgrupp och aktualiseringsväg."
    )
    return [
        Column(
            "case_key",
            _("Ärendenyckel"),
            _(
                "Pseudonym för ärendet: samma i alla dina uttag, en annan för varje mottagare; "
                "kan inte föras tillbaka till ärendet utan systemets nyckel."
            ),
        ),
        Column(
            "unit",
            _("Enhet"),
            _("Socialtjänstenheten som ärendet hör till; ”*” när den generaliserats bort."),
        ),
        Column(
            "intake_month",
            _("Aktualiseringsmånad"),
            _("Månad då ärendet aktualiserades (ÅÅÅÅ-MM).") + " " + level_note,
        ),
        Column(
            "age_band",
            _("Åldersgrupp"),
            _(
                "Ålder vid aktualisering: 0–11, 12–14, 15–17, 18–20, 21–24, 25–29 eller 30+; "
                "vid generalisering 0–17, 18–29, 30+ eller ”*”."
            ),
        ),
        Column(
            "source",
            _("Aktualiseringsväg"),
            _("Vem som aktualiserade ärendet; ”*” vid generalisering."),
        ),
        Column(
            "state_at_period_end",
            _("Steg vid periodens slut"),
            _("Ärendets steg efter den sista händelsen till och med periodens sista dag."),
        ),
        Column(
            "consent_given",
            _("Samtycke"),
            _(
                "”ja” om ett samtycke till informationsutbyte var registrerat senast periodens "
                "sista dag (även om det senare återkallats), annars ”nej”."
            ),
        ),
        Column(
            "first_decision",
            _("Första beslut"),
            _(
                "Första beslutet om inskrivning eller avslag, fattat senast periodens sista "
                "dag; tomt om inget sådant beslut finns."
            ),
        ),
        Column(
            "weeks_intake_to_decision",
            _("Veckor till beslut"),
            _(
                "Hela veckor från aktualiseringen till det första beslutet (dagar delat med "
                "sju, avrundat nedåt): exakta dagar skulle tillsammans med månaderna peka ut "
                "datum."
            ),
        ),
        Column(
            "discharge_month",
            _("Utskrivningsmånad"),
            _(
                "Månad för utskrivningen om ärendet var utskrivet vid periodens slut, annars "
                "tomt; generaliseras som aktualiseringsmånaden."
            ),
        ),
        Column(
            "discharge_reason",
            _("Skäl för utskrivning"),
            _("Skälet för den utskrivningen enligt enhetens lista; tomt annars."),
        ),
        Column(
            "placement_days_in_period",
            _("Placeringsdygn i perioden"),
            _("Dygn i placering (SiS, HVB, familjehem …) inom perioden, båda ändar kapade."),
        ),
        Column(
            "placement_cost_in_period",
            _("Placeringskostnad i perioden (kr)"),
            _("Dygnskostnad gånger dygn inom perioden, summerat och avrundat till hela kronor."),
        ),
    ]


ASSESSMENTS = (
    ("first", gettext_lazy("första bedömningen")),
    ("second", gettext_lazy("andra bedömningen")),
)


def _area_columns(areas: dict[str, str]) -> list[Column]:
    return [
        Column(
            f"area_{code}_{kind}",
            f"{label}: {kind_label}",
            _(
                "Skattning 1–5 (högre är bättre) av livsområdet ”%(area)s” i %(assessment)s "
                "(uppföljning, bilaga 3.4); tomt om den saknas."
            )
            % {"area": label, "assessment": kind_label},
        )
        for code, label in areas.items()
        for kind, kind_label in ASSESSMENTS
    ]


def _indicator_columns() -> list[Column]:
    columns = []
    for name in INDICATORS:
        model_field = FollowUpAssessment._meta.get_field(name)
        label = str(model_field.verbose_name).capitalize()
        if model_field.choices:
            values = ", ".join(str(choice) for _value, choice in model_field.choices)
            values_note = _("Ett av: %(values)s.") % {"values": values}
        else:
            values_note = _("Ett antal.")
        for kind, kind_label in ASSESSMENTS:
            columns.append(
                Column(
                    f"{name}_{kind}",
                    f"{label}: {kind_label}",
                    _("%(indicator)s enligt %(assessment)s; tomt om den saknas.")
                    % {"indicator": label, "assessment": kind_label}
                    + " "
                    + values_note,
                )
            )
    return columns


def _life_areas(unit_ids, rated_codes=frozenset()) -> dict[str, str]:
    """code → label of the units' life areas in list order; each unit keeps its own list, the
    same code means the same area, and the first unit's wording names it (as in statistics).
    Inactive areas are kept when someone rated them."""
    areas: dict[str, str] = {}
    rows = (
        LifeArea.objects.filter(unit_id__in=unit_ids)
        .order_by("position", "unit_id", "pk")
        .values_list("code", "label", "active")
    )
    for code, label, active in rows:
        if active or code in rated_codes:
            areas.setdefault(code, label)
    return areas


def codebook(unit_ids) -> list[Column]:
    """The columns an export of these units has, for the export page (one query)."""
    return [*_base_columns(), *_area_columns(_life_areas(unit_ids)), *_indicator_columns()]


# --- Pseudonyms, months, bands ----------------------------------------------------------------


def pseudonym_key() -> bytes:
    """The configured key, or one derived from SECRET_KEY under a fixed label."""
    configured = settings.EXPORT_PSEUDONYM_KEY
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), _KEY_LABEL, hashlib.sha256).digest()


def case_key(key: bytes, recipient_pk: int, case_pk: int) -> str:
    return hmac.new(key, f"{recipient_pk}:{case_pk}".encode(), hashlib.sha256).hexdigest()[:16]


@lru_cache(maxsize=4096)
def _month(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _tertial(day: date) -> str:
    return f"{day.year}-T{(day.month - 1) // 4 + 1}"


def _year(day: date) -> str:
    return str(day.year)


# Date coarsening per generalisation level (0 = month … 3 = nothing).
_COARSEN = (_month, _tertial, _year, lambda day: ANY)


def _coarse(day: date | None, level: int) -> str:
    return "" if day is None else _COARSEN[level](day)


def age_band(age: int, *, wide: bool = False) -> str:
    chosen = AGE_BANDS[0]
    for band in AGE_BANDS:
        if age >= band[0]:
            chosen = band
    return chosen[2] if wide else chosen[1]


def period_slug(period: Period) -> str:
    """The period as it appears in file names and the log: 2026-T2, 2026-H1, 2026, a..b."""
    if period.kind == "tertial":
        return f"{period.start.year}-T{(period.start.month - 1) // 4 + 1}"
    if period.kind == "half":
        return f"{period.start.year}-H{(period.start.month - 1) // 6 + 1}"
    if period.kind == "year":
        return str(period.start.year)
    return f"{period.start.isoformat()}_{period.end.isoformat()}"


def filename(period: Period, fmt: str) -> str:
    return f"insats-uppfoljning-{period_slug(period)}.{fmt}"


# --- The data set -----------------------------------------------------------------------------


@dataclass
class _Facts:
    """One case's quasi-identifiers, before generalisation."""

    unit: str
    intake: date
    age: int
    source: str
    discharge: date | None


@dataclass(frozen=True)
class _Level:
    """One step of the generalisation: how coarse the dates, whether wide age bands, whether
    the source is kept. Dates: 0 month, 1 tertial, 2 year (indices into _COARSEN)."""

    dates: int
    wide: bool
    source: bool

    def __call__(self, f: _Facts) -> tuple:
        return (
            f.unit,
            _COARSEN[self.dates](f.intake),
            age_band(f.age, wide=self.wide),
            f.source if self.source else ANY,
            _coarse(f.discharge, self.dates),
        )


# Most detailed first. Dates give way before the source and the age, because a tertial still
# answers most follow-up questions; the unit stays until the very last level.
LEVELS = (
    _Level(dates=0, wide=False, source=True),
    _Level(dates=1, wide=False, source=True),
    _Level(dates=1, wide=True, source=False),
    _Level(dates=2, wide=True, source=False),
    _Level(dates=3, wide=True, source=False),
)
_EVERYTHING = (ANY, ANY, ANY, ANY, ANY)


def _levels() -> tuple:
    """The levels for anonymity.generalise; the last maps every row to one tuple."""
    return (*LEVELS, lambda f: _EVERYTHING)


@dataclass
class Dataset:
    columns: list[Column]
    rows: list[tuple]
    units: list  # Unit objects
    period: Period
    k: int
    recipient: str  # username
    created_at: datetime = field(default_factory=timezone.now)

    @property
    def parameters(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the codebook sheet."""
        return [
            (_("Enheter"), ", ".join(unit.name for unit in self.units)),
            (_("Period"), f"{self.period.label} ({self.period.start} – {self.period.end})"),
            (_("Minsta gruppstorlek (k)"), str(self.k)),
            (_("Antal rader"), str(len(self.rows))),
            (_("Skapad"), timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M")),
            (_("Mottagare"), self.recipient),
        ]


def _midnight(day: date) -> datetime:
    """The start of `day` in the installation's time zone (Europe/Stockholm)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _cases(unit_ids: list[int], period: Period):
    """The cases open at some point in the period, with their facts at the period's end.

    Open: registered by the period's end, and not closed before it started (unless reopened
    during it) — the same selection as the statistics page's cases by source and state.
    """
    start, end = _midnight(period.start), _midnight(period.end + timedelta(days=1))

    def moves_before(moment):
        return CaseTransition.objects.filter(case=OuterRef("pk"), at__lt=moment).order_by(
            "-at", "-pk"
        )

    reopened = CaseTransition.objects.filter(
        case=OuterRef("pk"), at__gte=start, at__lt=end
    ).exclude(to_state__in=CLOSED_STATES)
    first_decision = CaseDecision.objects.filter(
        case=OuterRef("pk"), kind__in=FIRST_DECISION_KINDS, decided_on__lte=period.end
    ).order_by("decided_on", "pk")
    last_move = moves_before(end)
    return (
        Case.objects.filter(unit_id__in=unit_ids, created_at__lt=end)
        .annotate(
            state_at_start=Coalesce(
                Subquery(moves_before(start).values("to_state")[:1]),
                Value(State.INTAKE),
                output_field=CharField(),
            )
        )
        .filter(~Q(state_at_start__in=CLOSED_STATES) | Exists(reopened))
        .annotate(
            end_state=Subquery(last_move.values("to_state")[:1]),
            end_state_at=Subquery(last_move.values("at")[:1]),
            end_reason=Subquery(last_move.values("discharge_reason_id")[:1]),
            consent=Exists(Consent.objects.filter(case=OuterRef("pk"), recorded_at__lt=end)),
            decision_kind=Subquery(first_decision.values("kind")[:1]),
            decision_on=Subquery(first_decision.values("decided_on")[:1]),
        )
        .order_by()
        .values_list(
            "pk",
            "unit_id",
            "created_at",
            "age_at_intake",
            "source",
            "end_state",
            "end_state_at",
            "end_reason",
            "consent",
            "decision_kind",
            "decision_on",
        )
    )


def _follow_ups(unit_ids: list[int], period: Period):
    """(assessments by (case, kind), ratings by assessment id): the current versions dated
    by the period's end. Two queries for all cases."""
    end = _midnight(period.end + timedelta(days=1))
    assessments = FollowUpAssessment.objects.filter(
        case__unit_id__in=unit_ids,
        case__created_at__lt=end,
        superseded_at__isnull=True,
        assessed_on__lte=period.end,
        kind__in=[kind for kind, _label in ASSESSMENTS],
    )
    by_case: dict[tuple[int, str], dict] = {}
    # Oldest first: should a case have two current assessments of one kind, the newest wins.
    for row in assessments.order_by("assessed_on", "pk").values(
        "pk", "case_id", "kind", *INDICATORS
    ):
        by_case[row["case_id"], row["kind"]] = row
    ratings: dict[int, dict[str, int | None]] = defaultdict(dict)
    for assessment_id, code, rating in FollowUpRating.objects.filter(
        assessment__in=assessments.values("pk")
    ).values_list("assessment_id", "life_area__code", "rating"):
        ratings[assessment_id][code] = rating
    return by_case, ratings


def _placements(unit_ids: list[int], period: Period) -> dict[int, tuple[int, int]]:
    """case id → (days, whole kronor) of placements within the period (one query)."""
    end = _midnight(period.end + timedelta(days=1))
    by_case: dict[int, list[Placement]] = defaultdict(list)
    placements = (
        Placement.objects.filter(
            case__unit_id__in=unit_ids, case__created_at__lt=end, starts_on__lte=period.end
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.start))
        .only("case_id", "starts_on", "ends_on", "daily_cost")
        .order_by()
    )
    for placement in placements:
        by_case[placement.case_id].append(placement)
    result = {}
    for case_id, rows in by_case.items():
        costs, total = placement_costs(rows, period.start, period.end)
        kronor = int(Decimal(total).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        result[case_id] = (sum(row.days for row in costs), kronor)
    return result


def _indicator_value(name: str, value):
    if value is None or value == "":
        return None
    choices = _INDICATOR_CHOICES.get(name)
    return str(choices.get(value, value)) if choices else value


_INDICATOR_CHOICES = {
    name: dict(FollowUpAssessment._meta.get_field(name).choices or ()) for name in INDICATORS
}


def count_rows(*, units: Sequence, period: Period) -> int:
    """How many rows `build` would return, in one counting query (to refuse a format early)."""
    return _cases([unit.pk for unit in units], period).count()


def build(*, units: Sequence, period: Period, recipient, k: int | None = None) -> Dataset:
    """The data set for `recipient` (whose key it is) over `units` and `period`.

    Raises TooFewCases when fewer than k cases would be released. The caller checks access
    (policy.export_units) and logs the export.
    """
    k = settings.STATISTICS_MIN_CELL if k is None else k
    units = list(units)
    unit_ids = [unit.pk for unit in units]
    unit_names = {unit.pk: unit.name for unit in units}
    with translation.override("sv"):
        cases = list(_cases(unit_ids, period))
        if len(cases) < k:
            raise TooFewCases(len(cases), k)
        follow_ups, ratings = _follow_ups(unit_ids, period)
        placements = _placements(unit_ids, period)
        reasons = dict(
            DischargeReason.objects.filter(unit_id__in=unit_ids).values_list("pk", "label")
        )
        rated = {code for by_area in ratings.values() for code in by_area}
        areas = _life_areas(unit_ids, rated)
        columns = [*_base_columns(), *_area_columns(areas), *_indicator_columns()]

        sources = {value: str(label) for value, label in Source.choices}
        states = {value: str(label) for value, label in State.choices}
        decisions = {value: str(label) for value, label in CaseDecision.Kind.choices}
        yes, no = str(YES), str(NO)
        key = pseudonym_key()

        facts = []
        for _pk, unit_id, created_at, age, source, end_state, end_at, *_rest in cases:
            discharged = end_state == State.DISCHARGED
            facts.append(
                _Facts(
                    unit=unit_names[unit_id],
                    intake=timezone.localdate(created_at),
                    age=age,
                    source=sources.get(source, source),
                    discharge=timezone.localdate(end_at) if discharged else None,
                )
            )
        levels = _levels()
        try:
            published = anonymity.generalise(facts, levels, k)
        except anonymity.TooFewRecords:
            raise TooFewCases(len(cases), k) from None

        rows = []
        for case, fact, shown in zip(cases, facts, published, strict=True):
            pk, _unit, _created, _age, _source, end_state, end_at, reason = case[:8]
            consent, decision_kind, decision_on = case[8:]
            unit, intake_month, band, source, discharge_month = shown
            days, cost = placements.get(pk, (0, 0))
            row = [
                case_key(key, recipient.pk, pk),
                unit,
                intake_month,
                band,
                source,
                states.get(end_state or State.INTAKE, end_state),
                yes if consent else no,
                decisions.get(decision_kind, "") if decision_kind else "",
                (decision_on - fact.intake).days // 7 if decision_on else None,
                discharge_month,
                reasons.get(reason, "") if end_state == State.DISCHARGED and reason else "",
                days,
                cost,
            ]
            first = follow_ups.get((pk, "first"))
            second = follow_ups.get((pk, "second"))
            for code in areas:
                for assessment in (first, second):
                    row.append(ratings[assessment["pk"]].get(code) if assessment else None)
            for name in INDICATORS:
                for assessment in (first, second):
                    row.append(_indicator_value(name, assessment[name]) if assessment else None)
            rows.append(tuple(row))
        rows.sort(key=lambda row: row[0])
    return Dataset(
        columns=columns,
        rows=rows,
        units=units,
        period=period,
        k=k,
        recipient=recipient.get_username(),
    )


# --- Writing the files ------------------------------------------------------------------------

# A cell starting with one of these is a formula to Excel: labels come from the units'
# configurable lists, so defuse them (the data are never formulas). Every text written goes
# through `_cell`: headings and the codebook are made from the same lists as the data.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cells(values) -> list:
    return [_cell(value) for value in values]


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(dataset: Dataset, *, batch: int = 2000) -> Iterator[bytes]:
    """The CSV, in chunks for a streaming response: BOM, machine-name header, rows."""
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER, lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow(_cells(column.name for column in dataset.columns))).encode()
    lines = []
    for row in dataset.rows:
        lines.append(writer.writerow([_cell(value) for value in row]))
        if len(lines) >= batch:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def write_xlsx(dataset: Dataset):
    """The workbook in a temporary file (rewound), written in openpyxl's streaming mode."""
    from openpyxl import Workbook  # a large import only exports need

    workbook = Workbook(write_only=True)
    with translation.override("sv"):
        data = workbook.create_sheet(_("Data"))
        data.freeze_panes = "A3"
        data.append(_cells(column.header for column in dataset.columns))
        data.append(_cells(column.name for column in dataset.columns))
        for row in dataset.rows:
            # An empty value is an empty cell, which Excel counts as missing, not as text.
            data.append([None if value == "" else _cell(value) for value in row])
        book = workbook.create_sheet(_("Kodbok"))
        book.append(_cells([_("Kolumn"), _("Rubrik"), _("Beskrivning")]))
        for column in dataset.columns:
            book.append(_cells([column.name, column.header, column.description]))
        book.append([])
        book.append(_cells([_("Parametrar")]))
        for label, value in dataset.parameters:
            book.append(_cells([label, value]))
    # Handed to FileResponse, which closes it when the download ends.
    handle = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle
