"""Web Mercator projection and GeoJSON basemap layers (boundary, coast, roads) for the paper map."""
import json
import math
from pathlib import Path

EARTH_RADIUS = 6378137.0  # metres, the sphere of Web Mercator

LAYER_KINDS = ("boundary", "coast", "roads")


def mercator(lon, lat):
    """(x, y) in radians of Web Mercator; y grows northwards."""
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


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
