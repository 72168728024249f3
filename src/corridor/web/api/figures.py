"""The figures: summary, daily counts, returnees and cargo (``GET /api/v1/...``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from corridor.reports import summary as reports
from corridor.web.api.models import Cargo, DailyCounts, Returnees, Summary
from corridor.web.context import Context, Reader

router = APIRouter(tags=["figures"])


@router.get("/summary", response_model=Summary)
def get_summary(context: Context, conn: Reader) -> dict[str, Any]:
    """Every headline figure: events by kind and direction, people, returnees, cargo, denials."""
    corridor = context.corridor
    return {
        "simulated": context.simulated,
        "corridor": corridor.id,
        "corridor_name": corridor.label,
        **reports.summary(conn),
    }


@router.get("/counts/daily", response_model=DailyCounts)
def get_daily_counts(context: Context, conn: Reader) -> dict[str, Any]:
    """Passed vehicles per day, by direction and vehicle class."""
    return {"simulated": context.simulated, "days": reports.daily_counts(conn)}


@router.get("/returnees", response_model=Returnees)
def get_returnees(context: Context, conn: Reader) -> dict[str, Any]:
    """Returnees on passed vehicles per day, with the running total."""
    return {"simulated": context.simulated, "days": reports.returnees_by_day(conn)}


@router.get("/cargo", response_model=Cargo)
def get_cargo(context: Context, conn: Reader) -> dict[str, Any]:
    """Cargo on passed vehicles by category (kilograms and tonnes) and by day."""
    by_category = reports.cargo_kg_by_category(conn)
    return {
        "simulated": context.simulated,
        "by_category_kg": by_category,
        "by_category_tonnes": {category: kg / 1000 for category, kg in by_category.items()},
        "by_day": reports.cargo_kg_by_day(conn),
    }
