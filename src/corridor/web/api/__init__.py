"""The JSON API under ``/api/v1/``: thin routes over :mod:`corridor.reports`.

Each route parses its parameters, calls one report function over a read snapshot of the store,
and returns its result through a response model (:mod:`corridor.web.api.models`). Errors are
:class:`~corridor.errors.CorridorError` subclasses, mapped to JSON once, in :mod:`corridor.web.app`.
"""

from fastapi import APIRouter

from corridor.web.api import figures, layers, passages, receipts, sync, transit

PREFIX = "/api/v1"

router = APIRouter(prefix=PREFIX)
router.include_router(layers.router)
router.include_router(figures.router)
router.include_router(transit.router)
router.include_router(passages.router)
router.include_router(receipts.router)
router.include_router(sync.router)

__all__ = ["PREFIX", "router"]
