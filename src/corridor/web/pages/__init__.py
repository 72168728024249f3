"""The public HTML pages: the dashboard at ``/``, the daily bulletins under ``/bulletins/`` and
the open data under ``/data/``; each in the reader's language (:mod:`corridor.web.i18n`)."""

from fastapi import APIRouter

from corridor.web.pages import bulletins, dashboard, data

router = APIRouter()
router.include_router(dashboard.router)
router.include_router(bulletins.router)
router.include_router(data.router)

__all__ = ["router"]
