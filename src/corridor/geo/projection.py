"""A local metric projection for corridor geometry.

Distances, widths and chainages must be computed in metres, not degrees: one degree of longitude
is about 86 km at the Lachin corridor's latitude but one degree of latitude is 111 km, so a band
"2.5 km each side" drawn in degrees would be neither 2.5 km nor the same on both axes.

We use an azimuthal equidistant projection centred on the corridor. Over a corridor of a few tens
of kilometres its scale error is far below a metre per kilometre, which is plenty for a 5 km band.
Transformers are cached per centre because building one costs milliseconds and we call these
functions for every position fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer

from corridor.errors import ValidationError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Forward (lon/lat -> metres) and inverse transforms around one centre point."""

    centre_lon: float
    centre_lat: float

    @property
    def crs(self) -> CRS:
        return _local_crs(round(self.centre_lon, 6), round(self.centre_lat, 6))

    def to_metres(self, lons: npt.ArrayLike, lats: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Project longitudes and latitudes (degrees, WGS84) to local x, y in metres."""
        lon_arr, lat_arr = _as_arrays(lons, lats)
        x, y = _transformers(round(self.centre_lon, 6), round(self.centre_lat, 6))[0].transform(
            lon_arr, lat_arr
        )
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_lonlat(self, xs: npt.ArrayLike, ys: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Unproject local x, y in metres back to longitudes and latitudes (WGS84)."""
        x_arr, y_arr = _as_arrays(xs, ys)
        lon, lat = _transformers(round(self.centre_lon, 6), round(self.centre_lat, 6))[1].transform(
            x_arr, y_arr
        )
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    def point_to_metres(self, lon: float, lat: float) -> tuple[float, float]:
        """One point to local metres (scalar convenience)."""
        x, y = self.to_metres([lon], [lat])
        return float(x[0]), float(y[0])

    def to_lonlat_point(self, x: float, y: float) -> tuple[float, float]:
        """One local point back to (lon, lat) (scalar convenience)."""
        lon, lat = self.to_lonlat([x], [y])
        return float(lon[0]), float(lat[0])

    def line_to_metres(self, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        """(lon, lat) pairs to local (x, y) pairs, in one vectorised call."""
        if not points:
            return []
        arr = np.asarray(points, dtype=np.float64)
        x, y = self.to_metres(arr[:, 0], arr[:, 1])
        return list(zip(x.tolist(), y.tolist(), strict=True))

    def line_to_lonlat(self, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        """A sequence of local (x, y) pairs back to (lon, lat) pairs."""
        if not points:
            return []
        arr = np.asarray(points, dtype=np.float64)
        lon, lat = self.to_lonlat(arr[:, 0], arr[:, 1])
        return list(zip(lon.tolist(), lat.tolist(), strict=True))


def projection_for(points: Iterable[tuple[float, float]]) -> LocalProjection:
    """A projection centred on the middle of the bounding box of ``points`` (lon, lat)."""
    arr = np.asarray(list(points), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != 2:
        raise ValidationError("points", "need at least one (lon, lat) pair to centre a projection")
    lon_min, lat_min = arr.min(axis=0)
    lon_max, lat_max = arr.max(axis=0)
    return LocalProjection((lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0)


def _as_arrays(a: npt.ArrayLike, b: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    a_arr = np.atleast_1d(np.asarray(a, dtype=np.float64))
    b_arr = np.atleast_1d(np.asarray(b, dtype=np.float64))
    if a_arr.shape != b_arr.shape:
        raise ValidationError(
            "coordinates", f"coordinate arrays differ in shape: {a_arr.shape} vs {b_arr.shape}"
        )
    return a_arr, b_arr


@lru_cache(maxsize=16)
def _local_crs(lon0: float, lat0: float) -> CRS:
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs")


@lru_cache(maxsize=16)
def _transformers(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    # always_xy: we speak (lon, lat) everywhere, as GeoJSON does, whatever the CRS axis order says.
    local = _local_crs(lon0, lat0)
    forward = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    inverse = Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    return forward, inverse
