"""HTML pages. There is one: the public dashboard at ``/``."""

from corridor.web.pages.dashboard import router

__all__ = ["router"]
