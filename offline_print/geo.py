"""The one home of geometry on the Earth: Web Mercator, great-circle distance, and GeoJSON basemap
layers (boundary, coast, roads) for the paper map.

Dependency-free (the standard library only), so the paper map, the phone pages and the domain all use
it; it knows nothing of shelter_ops. Every function takes longitude first, as GeoJSON and (x, y) do.
"""
import json
import math
from pathlib import Path

EARTH_RADIUS = 6378137.0  # metres, the sphere of Web Mercator
MEAN_EARTH_RADIUS_KM = 6371.0088  # the IUGG mean radius, for distances

LAYER_KINDS = ("boundary", "coast", "roads")


def mercator(lon, lat):
    """(x, y) in radians of Web Mercator; y grows northwards (negate it for screen coordinates)."""
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def distance_km(a, b):
    """Straight-line (great-circle, haversine) distance in km between two (lon, lat) points."""
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def layer_kind(path):
    """The kind of a basemap file, from its name: '…coast…', '…road…', anything else is a boundary."""
    stem = Path(path).stem.lower()
    if "coast" in stem or "海岸" in stem:
        return "coast"
    if "road" in stem or "道路" in stem:
        return "roads"
    return "boundary"


def read_layer(path, kind=None):
    """A basemap layer from a GeoJSON file: {"kind", "name", "geometries": [GeoJSON geometry, …], "attribution"}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    # a file may name its source in a top-level "attribution" member; the map prints it in the footer
    attribution = data.get("attribution") if isinstance(data, dict) else None
    return {"kind": kind or layer_kind(path), "name": Path(path).name, "geometries": list(geometries(data)),
            "attribution": attribution if isinstance(attribution, str) else ""}


def geometries(obj):
    """Every geometry inside a FeatureCollection, Feature, GeometryCollection or geometry."""
    if not isinstance(obj, dict):
        return
    kind = obj.get("type")
    if kind == "FeatureCollection":
        for feature in obj.get("features") or ():
            yield from geometries(feature)
    elif kind == "Feature":
        yield from geometries(obj.get("geometry"))
    elif kind == "GeometryCollection":
        for geometry in obj.get("geometries") or ():
            yield from geometries(geometry)
    elif kind in ("Polygon", "MultiPolygon", "LineString", "MultiLineString", "Point", "MultiPoint"):
        yield obj


def rings(geometry):
    """(closed, [(lon, lat), …]) for every ring or line of a geometry; points give nothing."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        for ring in coords:
            yield True, ring
    elif kind == "MultiPolygon":
        for polygon in coords:
            for ring in polygon:
                yield True, ring
    elif kind == "LineString":
        yield False, coords
    elif kind == "MultiLineString":
        for line in coords:
            yield False, line


def bounds(layer):
    """(min_lon, min_lat, max_lon, max_lat) of a layer, or None when it is empty."""
    lons, lats = [], []
    for geometry in layer["geometries"]:
        for _, ring in rings(geometry):
            for point in ring:
                lons.append(point[0])
                lats.append(point[1])
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)
