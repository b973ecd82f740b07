"""Reads of the needs and resource inventory, cut to the reader's decision before any template.

A partner member reads the inventory row by row: a life area's row shows only when the consent
covers that area's category (`LifeArea.category_code`; an area without one is the social
services' own). The notes, the motivation and the priorities stay with the social services.
`decision.full` (the unit's own staff) sees everything. The page, the overview and the PDF are
all built from what these functions return, so a template cannot show what was cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from insats.access.policy import Decision
from insats.organisations.models import LifeArea

from . import services
from .models import Inventory, InventoryRating


def inventories() -> QuerySet[Inventory]:
    """Inventories with everything a page shows of them, in a fixed number of queries."""
    return Inventory.objects.select_related(
        "recorded_by", "priority_1", "priority_2", "priority_3"
    ).prefetch_related(
        Prefetch("ratings", queryset=InventoryRating.objects.select_related("life_area"))
    )


def shows_area(area: LifeArea, decision: Decision) -> bool:
    """May the reader see this life area's row? Full access always; partners by category."""
    if decision.full:
        return True
    return bool(area.category_code) and decision.covers(area.category_code)


@dataclass(frozen=True)
class RatingRow:
    """One life area of one inventory, as the reader may see it."""

    life_area: LifeArea
    own_rating: int | None
    own_rating_display: str
    staff_rating: int | None
    staff_rating_display: str
    wants_change: bool | None
    note: str | None  # None: the reader does not see the notes (partners)


@dataclass(frozen=True)
class StaffPart:
    """What only the social services read: the motivation and the prioritised areas."""

    motivation: str
    motivation_note: str
    priorities: list[LifeArea]


@dataclass(frozen=True)
class InventoryView:
    """One inventory as the reader may see it: its facts, its visible rows and, for full
    access only, the staff part. It holds no reference to the stored inventory."""

    pk: int
    version: int
    assessed_on: date
    completed: bool
    is_current: bool
    recorded_at: datetime
    recorded_by: object
    ratings: list[RatingRow]
    staff: StaffPart | None  # None when the reader is not the unit's staff
    partial: bool  # the reader sees only what a consent covers
    shows_notes: bool


def _row(rating: InventoryRating, decision: Decision) -> RatingRow:
    return RatingRow(
        life_area=rating.life_area,
        own_rating=rating.own_rating,
        own_rating_display=rating.get_own_rating_display() or "",
        staff_rating=rating.staff_rating,
        staff_rating_display=rating.get_staff_rating_display() or "",
        wants_change=rating.wants_change,
        note=rating.note if decision.full else None,
    )


def inventory_view(inventory: Inventory, decision: Decision) -> InventoryView:
    """The inventory (fetched with `inventories()`) cut to the decision."""
    staff = None
    if decision.full:
        staff = StaffPart(
            motivation=inventory.get_motivation_display() or "",
            motivation_note=inventory.motivation_note,
            priorities=inventory.priorities,
        )
    return InventoryView(
        pk=inventory.pk,
        version=inventory.version,
        assessed_on=inventory.assessed_on,
        completed=inventory.completed,
        is_current=inventory.is_current,
        recorded_at=inventory.recorded_at,
        recorded_by=inventory.recorded_by,
        ratings=[
            _row(rating, decision)
            for rating in inventory.ratings.all()
            if shows_area(rating.life_area, decision)
        ],
        staff=staff,
        partial=not decision.full,
        shows_notes=decision.full,
    )


def inventory_for(case, pk: int, decision: Decision) -> InventoryView:
    """One inventory of the case (the caller has checked that `pk` is the case's) as the
    reader may see it."""
    return inventory_view(inventories().get(pk=pk, case=case), decision)


# --- The side-by-side overview ----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The difference from the previous inventory's rating: higher is better."""

    delta: int

    @property
    def arrow(self) -> str:
        if self.delta > 0:
            return f"↑ +{self.delta}"
        if self.delta < 0:
            return f"↓ −{-self.delta}"
        return "→ 0"

    @property
    def text(self) -> str:
        if self.delta > 0:
            return _("förbättring med %(steps)s steg jämfört med förra inventeringen") % {
                "steps": self.delta
            }
        if self.delta < 0:
            return _("försämring med %(steps)s steg jämfört med förra inventeringen") % {
                "steps": -self.delta
            }
        return _("oförändrat jämfört med förra inventeringen")

    @property
    def kind(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "same"


def _change(now: int | None, before: int | None) -> Change | None:
    if now is None or before is None:
        return None
    return Change(now - before)


@dataclass
class Cell:
    rating: RatingRow | None
    own_change: Change | None = None
    staff_change: Change | None = None


@dataclass(frozen=True)
class AreaRow:
    area: LifeArea
    cells: list[Cell]


@dataclass(frozen=True)
class Overview:
    """The case's current inventories side by side (oldest first), one row per visible area."""

    inventories: list[InventoryView]
    rows: list[AreaRow]
    partial: bool
    # One entry per inventory, for full access only (None for partners).
    motivations: list[str] | None = field(default=None)
    priorities: list[list[LifeArea]] | None = field(default=None)


def overview(case, decision: Decision) -> Overview:
    """The current inventories of the case side by side, with the change per area.

    One row per life area that is active or rated earlier, and that the reader may see.
    """
    current = list(
        inventories()
        .filter(case=case, superseded_at__isnull=True)
        .order_by("assessed_on", "recorded_at", "pk")
    )
    by_inventory = [{r.life_area_id: r for r in inv.ratings.all()} for inv in current]
    areas = {area.pk: area for area in services.unit_life_areas(case)}
    for ratings in by_inventory:
        for rating in ratings.values():
            areas.setdefault(rating.life_area_id, rating.life_area)
    ordered = sorted(areas.values(), key=lambda a: (a.position, a.label, a.pk))
    rows = []
    for area in ordered:
        if not shows_area(area, decision):
            continue
        cells, before = [], None
        for ratings in by_inventory:
            rating = ratings.get(area.pk)
            cell = Cell(_row(rating, decision) if rating is not None else None)
            if rating is not None and before is not None:
                cell.own_change = _change(rating.own_rating, before.own_rating)
                cell.staff_change = _change(rating.staff_rating, before.staff_rating)
            cells.append(cell)
            before = rating
        rows.append(AreaRow(area, cells))
    views = [inventory_view(inv, decision) for inv in current]
    return Overview(
        inventories=views,
        rows=rows,
        partial=not decision.full,
        motivations=[v.staff.motivation for v in views] if decision.full else None,
        priorities=[v.staff.priorities for v in views] if decision.full else None,
    )
