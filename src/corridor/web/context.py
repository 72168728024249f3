"""What every request handler needs: the store, the scenario and whether its data is simulated.

The app keeps one :class:`WebContext` in ``app.state.context``; handlers receive it through the
:func:`get_context` dependency, so tests build an app over a real store instead of patching.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from corridor.errors import NotFoundError
from corridor.hq.services import HqServices
from corridor.model.corridor import Corridor
from corridor.sim.scenario import Scenario
from corridor.store.engine import Store


@dataclass(frozen=True)
class WebContext:
    store: Store
    scenario: Scenario
    simulated: bool
    log_dir: Path | None = None
    hq: HqServices | None = None

    def require_hq(self) -> HqServices:
        """HQ's services, or 404 on a node that has none (a read-only dashboard)."""
        if self.hq is None:
            raise NotFoundError("this node does not accept pushes (it has no log key)")
        return self.hq

    @property
    def corridor(self) -> Corridor:
        return self.scenario.corridor


def get_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


def read_connection(request: Request) -> Iterator[Connection]:
    """A read snapshot of the store for the length of one request."""
    with get_context(request).store.read() as conn:
        yield conn


Context = Annotated[WebContext, Depends(get_context)]
Reader = Annotated[Connection, Depends(read_connection)]
