"""GIS layers (SIP4D, ISUT, ArcGIS): the public status as GeoJSON whose properties carry the GSI 指定避難所
attribute names and the 共通ID beside the live state, so a layer built on the GSI open data joins it as is.

Only facility columns are read here (never a household or person table), and only shelters HQ has not hidden.
"""
import json
import re

from ..importers.codes import PREFECTURES, prefecture_of

# GSI 指定避難所 attribute name → where it comes from (the shelters table, filled by the importer)
GSI_PROPERTIES = ("共通ID", "都道府県名及び市町村名", "施設・場所名", "住所", "指定緊急避難場所との住所同一",
                  "受入対象者", "緯度", "経度", "備考")
# live state under the names of the public CSV feed (docs/live.md), so both read alike
LIVE_PROPERTIES = ("開設状況", "避難者数", "定員", "定員状況", "混雑度", "確認中", "1人あたり面積_m2")
_CODE_TO_PREFECTURE = {code: name for name, code in PREFECTURES.items()}
_CITY = re.compile(r"^([^\d]+?市[^\d]+?区|[^\d]+?郡[^\d]+?[町村]|[^\d]+?[市区町村])")


def facility_attributes(db):
    """{共通ID: facility columns} of the shelters the public may see; no personal column is selected."""
    cur = db.execute("select kyotsu_id, municipality_code, name, address, same_address_as_site, accepts, notes, "
                     "lat, lon from shelters where hidden = 0 and kyotsu_id is not null")
    cols = [c[0] for c in cur.description]
    return {row[0]: dict(zip(cols, row)) for row in cur.fetchall()}


def city_name(facility, config):
    """都道府県名及び市町村名: the prefecture and municipality the address starts with, or the configured
    municipality's name after the prefecture of the code, e.g. 神奈川県鎌倉市."""
    address = facility.get("address") or ""
    prefecture, _code = prefecture_of(address)
    rest = address[len(prefecture):] if prefecture else address
    prefecture = prefecture or _CODE_TO_PREFECTURE.get((facility.get("municipality_code") or "")[:2], "")
    if (facility.get("municipality_code") or "") == config.get("MUNICIPALITY_CODE"):
        city = config.get("MUNICIPALITY_NAME") or ""
    else:
        found = _CITY.match(rest)
        city = found.group(1) if found else ""
    return prefecture + city


def gsi_properties(facility, config):
    return {
        "共通ID": facility["kyotsu_id"],
        "都道府県名及び市町村名": city_name(facility, config),
        "施設・場所名": facility.get("name") or "",
        "住所": facility.get("address") or "",
        "指定緊急避難場所との住所同一": "1" if facility.get("same_address_as_site") else "",
        "受入対象者": facility.get("accepts") or "",
        "緯度": facility.get("lat"),
        "経度": facility.get("lon"),
        "備考": facility.get("notes") or "",
    }


def live_properties(record):
    return {"開設状況": record["status"], "避難者数": record["occupancy"], "定員": record["capacity"],
            "定員状況": record["label_ja"], "混雑度": record["level"], "確認中": "1" if record["stale"] else "",
            "1人あたり面積_m2": record["m2_per_person"]}


def feature_collection(records, facilities, config):
    """A FeatureCollection of points ([経度, 緯度]) from public feed records: their own keys, the live
    state under Japanese names and the GSI attributes. A record without a 共通ID gets no GSI attributes."""
    features = []
    for r in records:
        geometry = None if r["lat"] is None or r["lon"] is None else {"type": "Point",
                                                                       "coordinates": [r["lon"], r["lat"]]}
        properties = {k: v for k, v in r.items() if k not in ("lat", "lon")}
        facility = facilities.get(r["kyotsu_id"])
        if facility is not None:
            properties.update(gsi_properties(facility, config))
        properties.update(live_properties(r))
        features.append({"type": "Feature", "id": r["kyotsu_id"], "geometry": geometry, "properties": properties})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, sort_keys=True)
