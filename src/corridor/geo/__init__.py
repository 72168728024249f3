"""Corridor geometry in metres: local projection, band, chainage, geofence.

Imports nothing of the project above :mod:`corridor.model`.
"""

from corridor.geo.band import CorridorGeometry, RouteGeometry, chainage, geometry_for
from corridor.geo.projection import LocalProjection, projection_for

__all__ = [
    "CorridorGeometry",
    "LocalProjection",
    "RouteGeometry",
    "chainage",
    "geometry_for",
    "projection_for",
]
