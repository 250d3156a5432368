"""Lアラート (公共情報コモンズ) 避難所情報: the EDXL-DE envelope with its PCXML shelter body, its revisions, its CSV.

One document per disaster: the first issue is a Report (revision 1), every later one an Update with
revision + 1 carrying every shelter again, so a corrected address or name goes out as a correction
(with Errata) and never as a new opening; a withdrawal is a Cancel with Errata, after which the next
issue starts a new document. Each issue is an event (`lalert.issued`) holding the whole document, so
revisions continue across restarts and any past revision can be downloaded again exactly as issued.

The structure (namespaces, element names, the revision fields) follows the 公共情報コモンズ XML as NIED's
SaigaiTask writes it (PcShelterService / PublicCommonsUtils); no personal data ever goes in: names of
shelters, their addresses and head counts only, and never a hidden shelter.
"""
import csv
import io
import json
import threading
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from datetime import timezone

from .. import eventlog
from ..db import now, parse_time, write
from . import capacity, clock, shelters
from .errors import Conflict, DomainError, Forbidden, Invalid, NotFound

NS = {
    "edxlde": "urn:oasis:names:tc:emergency:EDXL:DE:1.0",
    "commons": "http://xml.publiccommons.ne.jp/xml/edxl/",
    "pcxml": "http://xml.publiccommons.ne.jp/pcxml1/3",
    "pcx_ib": "http://xml.publiccommons.ne.jp/pcxml1/informationBasis3/",
    "pcx_eb": "http://xml.publiccommons.ne.jp/pcxml1/elementBasis3/",
    "pcx_sh": "http://xml.publiccommons.ne.jp/pcxml1/body/shelter3",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

EVENT = "lalert.issued"
eventlog.log_only(EVENT)  # the event is the whole record: no state table, nothing on the live screens
CATEGORY = "Shelter"
TITLE = "避難所情報"
CONFIDENTIALITY = "UNCLASSIFIED AND NOT SENSITIVE"
DISTRIBUTION_TYPES = {  # 更新種別
    "Report": ("新規", "First issue"),
    "Update": ("更新・訂正", "Update or correction"),
    "Cancel": ("取消", "Withdrawal"),
}
DISTRIBUTION_STATUSES = {  # 運用種別
    "Actual": ("本番", "Actual"),
    "Exercise": ("訓練", "Exercise"),
    "Test": ("試験", "Test"),
}
# 開設状況 of the PCXML shelter body; shelter-ops produces the first three (常設 and 不明 are never inferred)
SORTS = ("開設", "閉鎖", "未開設", "常設", "不明")
SHELTER_TYPE = "避難所"  # 避難所種別: designated shelters (emergency sites are never "opened")
TYPE_DETAILS = {"welfare": "福祉避難所"}
# facts of a shelter whose change since the last issue is a correction, listed in the Errata
CORRECTABLE = (("name", "避難所名", "name"), ("address", "住所", "address"), ("lat", "緯度", "latitude"),
               ("lon", "経度", "longitude"), ("type_detail", "避難所種別", "type"))

CSV_COLUMNS = (
    ("document_id", "文書ID"), ("revision", "版番号"), ("previous_revision", "前版番号"),
    ("distribution_type", "更新種別"), ("distribution_status", "運用種別"), ("report_at", "発表日時"),
    ("kyotsu_id", "共通ID"), ("name", "避難所名"), ("address", "住所"), ("lat", "緯度"), ("lon", "経度"),
    ("type", "避難所種別"), ("type_detail", "避難所種別詳細"), ("sort", "開設状況"), ("date_time", "開設・閉鎖日時"),
    ("head_count", "避難人数"), ("head_count_voluntary", "避難人数（うち自主避難）"), ("households", "避難世帯数"),
    ("households_voluntary", "避難世帯数（うち自主避難）"), ("capacity", "最大収容人数"),
)

# one issue at a time in this process: the revision read and the event written belong together, and a
# send holds this across its POST (the write lock is not held while waiting for the prefecture)
_issuing = threading.Lock()


class SendFailed(DomainError):
    """The prefecture's system did not take the document (424: the request failed on what it depends on)."""
    status = 424


def _require_hq(role):
    if role != "hq":
        raise Forbidden("Lアラートへの発信は本部だけができます。", "Only HQ can issue to L-Alert.")


# --- the state as Lアラート sees it ---

def _jst(stamp):
    """An ISO UTC time as xs:dateTime in Japan time (+09:00), '' for None."""
    if not stamp:
        return ""
    return parse_time(stamp).astimezone(clock.JST).isoformat()


def _households_present(db):
    """Households with someone in the shelter now, per shelter (count-only heads have no household)."""
    rows = db.execute("""
        select h.shelter_id, count(distinct h.id) from households h join persons p on p.household_id = h.id
        where h.status = 'checked_in' and h.staying = 'shelter' and p.status in ('in', 'away')
        group by h.shelter_id""").fetchall()
    return dict(rows)


def shelter_records(db, config, *, also=()):
    """One record per shelter to announce, in 共通ID order: every shelter HQ has not hidden that is past
    standby, plus those in `also` (共通IDs issued before, so a shelter back on standby says 未開設
    instead of vanishing). Facts and head counts only."""
    from .households import present_counts

    counts = present_counts(db)
    snaps = {s["id"]: s for s in capacity.snapshots(db, config, counts=counts)}
    households = _households_present(db)
    also = set(also)
    out = []
    for shelter in shelters.list_all(db, include_hidden=False):
        ref = shelters.ref(shelter)
        if shelter["state"] == "standby" and ref not in also:
            continue
        sort = shelters.EEI_STATUS.get(shelter["state"], "不明")
        when = shelter["opened_at"] if sort == "開設" else shelter["closed_at"] if sort == "閉鎖" else None
        snap = snaps.get(shelter["id"], {})
        out.append({
            "kyotsu_id": ref,
            "name": shelter["name"] or "",
            "address": shelter["address"] or "",
            "lat": shelter["lat"],
            "lon": shelter["lon"],
            "type": SHELTER_TYPE,
            "type_detail": TYPE_DETAILS.get(shelter["kind"], ""),
            "sort": sort,
            "date_time": _jst(when),
            "head_count": int(counts.get(shelter["id"], {}).get("total", 0)),
            "head_count_voluntary": None,  # 自主避難 is not recorded: left out, as PCXML does for unknown counts
            "households": int(households.get(shelter["id"], 0)),
            "households_voluntary": None,
            "capacity": snap.get("capacity") or None,  # 0 (no floor area entered) is unknown, not "full"
        })
    return out


def totals(records):
    """TotalNumber of the body: head counts and households summed, and how many shelters are open."""
    return {"head_count": sum(r["head_count"] for r in records),
            "households": sum(r["households"] for r in records),
            "open_shelters": sum(1 for r in records if r["sort"] == "開設")}


# --- revisions ---

def history(db, *, limit=100, shelters_too=False):
    """Issued documents, newest first: [{event_id, at, actor, **document}]; without the per-shelter list
    unless `shelters_too` (a prefecture's 1,500 shelters make each document large)."""
    payload = "payload" if shelters_too else "json_remove(payload, '$.shelters')"
    rows = db.execute(f"select id, at, actor, {payload} from events where kind = ? order by rowid desc limit ?",
                      [EVENT, limit]).fetchall()
    return [{"event_id": r[0], "at": r[1], "actor": r[2], **json.loads(r[3])} for r in rows]


def last_issued(db):
    """The newest issued document, or None."""
    found = history(db, limit=1, shelters_too=True)
    return found[0] if found else None


def issued(db, document_id, revision):
    """One issued revision as it went out. :raise NotFound:"""
    row = db.execute("select id, at, actor, payload from events where kind = ? and "
                     "json_extract(payload, '$.document_id') = ? and json_extract(payload, '$.revision') = ? "
                     "order by rowid desc limit 1", [EVENT, document_id, revision]).fetchone()
    if row:
        return {"event_id": row[0], "at": row[1], "actor": row[2], **json.loads(row[3])}
    raise NotFound(f"発信記録がありません: {document_id} 第{revision}版",
                   f"No issued document {document_id} revision {revision}.")


def corrections(before, after):
    """What changed in a shelter's facts between two issues: [{kyotsu_id, name, field, ja, en, old, new}]."""
    old = {r["kyotsu_id"]: r for r in before}
    found = []
    for record in after:
        prior = old.get(record["kyotsu_id"])
        if prior is None:
            continue
        for key, ja, en in CORRECTABLE:
            if (prior.get(key) or "") != (record.get(key) or ""):
                found.append({"kyotsu_id": record["kyotsu_id"], "name": record["name"], "field": key, "ja": ja,
                              "en": en, "old": prior.get(key), "new": record.get(key)})
    return found


def _errata_text(reason, changes):
    lines = [reason] if reason else []
    for c in changes:
        lines.append(f"{c['name']}の{c['ja']}を訂正（{c['old'] if c['old'] not in (None, '') else '—'} → "
                     f"{c['new'] if c['new'] not in (None, '') else '—'}）")
    return "\n".join(lines)


def sender_id(config):
    return config.get("LALERT_SENDER_ID") or f"{config['MUNICIPALITY_CODE']}.shelter-ops"


def next_document(db, config, *, cancel=False, reason="", status=None, disaster_name=None, at=None):
    """The document the next issue would send, from the current state and the last issue (nothing is
    recorded). :raise Conflict: a Cancel with nothing to withdraw; :raise Invalid: a Cancel without reason"""
    reason = " ".join(str(reason or "").split())[:500]
    status = status or config.get("LALERT_STATUS") or "Actual"
    if status not in DISTRIBUTION_STATUSES:
        raise Invalid(f"運用種別が正しくありません: {status}", f"Unknown distribution status: {status}",
                      field="status")
    last = last_issued(db)
    live = last is not None and last["distribution_type"] != "Cancel"
    if cancel and not live:
        raise Conflict("取り消す発信がありません。", "There is no issued document to withdraw.")
    if cancel and not reason:
        raise Invalid("取消の理由を入力してください（例: 誤って発信したため）。",
                      "Give the reason for the withdrawal (e.g. issued by mistake).", field="reason")
    stamp = at or now()
    if cancel:
        records = last["shelters"]  # a withdrawal repeats what it withdraws
    else:
        records = shelter_records(db, config, also=[r["kyotsu_id"] for r in last["shelters"]] if live else ())
    changes = corrections(last["shelters"], records) if live and not cancel else []
    kind = "Cancel" if cancel else "Update" if live else "Report"
    revision = last["revision"] + 1 if live else 1
    errata = _errata_text(reason, changes) if kind != "Report" and (reason or changes) else ""
    return {
        "document_id": last["document_id"] if live else f"{sender_id(config)}-{uuid.uuid4()}",
        "distribution_id": f"{sender_id(config)}-{uuid.uuid4()}",
        "sender_id": sender_id(config),
        "revision": revision,
        "previous_revision": revision - 1,
        "distribution_type": kind,
        "distribution_status": status,
        "report_at": stamp,
        "first_created_at": last["first_created_at"] if live else stamp,
        "municipality_code": config["MUNICIPALITY_CODE"],
        "municipality_name": config["MUNICIPALITY_NAME"],
        "disaster_name": (disaster_name if disaster_name is not None else config.get("LALERT_DISASTER_NAME")) or "",
        "errata": errata,
        "reason": reason,
        "corrections": changes,
        "shelters": records,
        "totals": totals(records),
    }


def _record(db, document, *, actor, role, delivery, endpoint=None, response_status=None):
    payload = {**document, "delivery": delivery, "endpoint": endpoint, "response_status": response_status}
    with write(db):
        eventlog.emit(db, EVENT, payload, actor={"name": actor, "role": role})
    return payload


def issue(db, config, *, actor, role, cancel=False, reason="", status=None, disaster_name=None):
    """Issue the next revision for download (HQ hands it on): recorded as an event. Returns the document."""
    _require_hq(role)
    with _issuing:
        document = next_document(db, config, cancel=cancel, reason=reason, status=status,
                                 disaster_name=disaster_name)
        return _record(db, document, actor=actor, role=role, delivery="download")


def send(db, config, *, actor, role, cancel=False, reason="", status=None, disaster_name=None, endpoint=None,
         timeout=15):
    """POST the next revision to the prefecture's endpoint (LALERT_ENDPOINT). Recorded only when accepted
    (2xx), so a failed send leaves the revision to be sent again. :raise SendFailed: with the reason"""
    _require_hq(role)
    endpoint = endpoint or config.get("LALERT_ENDPOINT")
    if not endpoint:
        raise Conflict("送信先が設定されていません（SHELTER_OPS_LALERT_ENDPOINT）。ダウンロードして渡してください。",
                       "No endpoint is set (SHELTER_OPS_LALERT_ENDPOINT). Download the file and hand it on.")
    with _issuing:
        document = next_document(db, config, cancel=cancel, reason=reason, status=status,
                                 disaster_name=disaster_name)
        body = to_xml(document)
        request = urllib.request.Request(endpoint, data=body, method="POST",
                                         headers={"Content-Type": "application/xml; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
                code = response.status
        except urllib.error.HTTPError as refused:
            raise SendFailed(f"送信先が受け付けませんでした（HTTP {refused.code}）。第{document['revision']}版は未送信です。",
                             f"The endpoint refused it (HTTP {refused.code}); revision {document['revision']} "
                             f"was not sent.", code="SendFailed") from None
        except (urllib.error.URLError, OSError, ValueError) as failed:
            reason_text = getattr(failed, "reason", failed)
            raise SendFailed(f"送信できませんでした（{reason_text}）。第{document['revision']}版は未送信です。",
                             f"Could not send ({reason_text}); revision {document['revision']} was not sent.",
                             code="SendFailed") from None
        return _record(db, document, actor=actor, role=role, delivery="sent", endpoint=endpoint,
                       response_status=code)


# --- the formats ---

def _q(prefix, name):
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent, prefix, name, text=None, **attrs):
    element = ET.SubElement(parent, _q(prefix, name), attrs)
    if text is not None:
        element.text = str(text)
    return element


def _counts(parent, tag, head, households, head_voluntary=None, households_voluntary=None):
    numbers = _sub(parent, "pcx_sh", tag)
    _sub(numbers, "pcx_sh", "HeadCount", head)
    if head_voluntary is not None:
        _sub(numbers, "pcx_sh", "HeadCountVoluntary", head_voluntary)
    _sub(numbers, "pcx_sh", "Households", households, unit="世帯")
    if households_voluntary is not None:
        _sub(numbers, "pcx_sh", "HouseholdsVoluntary", households_voluntary, unit="世帯")
    return numbers


def to_xml(document):
    """The EDXL-DE envelope with the PCXML 避難所情報 body, as UTF-8 bytes."""
    d = document
    sent = _jst(d["report_at"])
    headline = f"{d['municipality_name']}: {TITLE}"
    root = ET.Element(_q("edxlde", "EDXLDistribution"))
    _sub(root, "edxlde", "distributionID", d["distribution_id"])
    _sub(root, "edxlde", "senderID", d["sender_id"])
    _sub(root, "edxlde", "dateTimeSent", sent)
    _sub(root, "edxlde", "distributionStatus", d["distribution_status"])
    _sub(root, "edxlde", "distributionType", d["distribution_type"])
    _sub(root, "edxlde", "combinedConfidentiality", CONFIDENTIALITY)
    area = _sub(root, "commons", "targetArea")
    _sub(area, "commons", "areaName", d["municipality_name"])
    _sub(area, "commons", "jisX0402", d["municipality_code"])
    content = _sub(root, "commons", "contentObject")
    _sub(content, "edxlde", "contentDescription", headline)
    _sub(content, "commons", "publishingOfficeName", d["municipality_name"])
    _sub(content, "commons", "publishingOfficeID", d["municipality_code"])
    _sub(content, "commons", "previousDocumentRevision", d["previous_revision"])
    _sub(content, "commons", "documentRevision", d["revision"])
    _sub(content, "commons", "documentID", d["document_id"])
    _sub(content, "commons", "category", CATEGORY)
    embedded = _sub(_sub(content, "edxlde", "xmlContent"), "edxlde", "embeddedXMLContent")
    report = _sub(embedded, "pcxml", "Report")

    control = _sub(report, "pcxml", "Control")
    _sub(control, "pcxml", "Title", TITLE)
    _sub(control, "pcxml", "DistributionStatus", d["distribution_status"])
    _sub(_sub(control, "pcxml", "EditorialOffice"), "pcx_eb", "OrganizationName", d["municipality_name"])
    office = _sub(_sub(control, "pcxml", "PublishingOffice"), "pcx_eb", "OfficeInfo")
    _sub(office, "pcx_eb", "OrganizationName", d["municipality_name"])
    _sub(office, "pcx_eb", "OrganizationCode", d["municipality_code"])
    if d["errata"]:
        errata = _sub(control, "pcx_eb", "Errata")
        _sub(errata, "pcx_eb", "Description", d["errata"])
        _sub(errata, "pcx_eb", "DateTime", sent)

    head = _sub(report, "pcx_ib", "Head")
    _sub(head, "pcx_ib", "Title", headline)
    _sub(head, "pcx_ib", "CreateDateTime", sent)
    _sub(head, "pcx_ib", "FirstCreateDateTime", _jst(d["first_created_at"]))
    _sub(head, "pcx_ib", "ReportDateTime", sent)
    _sub(head, "edxlde", "distributionID", d["distribution_id"])
    _sub(head, "edxlde", "distributionType", d["distribution_type"])
    _sub(head, "commons", "documentRevision", d["revision"])
    _sub(head, "commons", "previousDocumentRevision", d["previous_revision"])
    _sub(head, "commons", "documentID", d["document_id"])
    line = _sub(head, "pcx_ib", "Headline")
    _sub(line, "pcx_ib", "Text", headline)
    target = _sub(_sub(line, "pcx_ib", "Areas"), "pcx_ib", "Area")
    _sub(target, "commons", "areaName", d["municipality_name"])
    _sub(target, "commons", "jisX0402", d["municipality_code"])

    body = _sub(report, "pcx_sh", "Shelter")
    if d["disaster_name"]:
        _sub(_sub(body, "pcx_eb", "Disaster"), "pcx_eb", "DisasterName", d["disaster_name"])
    _counts(body, "TotalNumber", d["totals"]["head_count"], d["totals"]["households"])
    _sub(body, "pcx_sh", "TotalNumberOfShelter", d["totals"]["open_shelters"])
    informations = _sub(body, "pcx_sh", "Informations")
    for r in d["shelters"]:
        info = _sub(informations, "pcx_sh", "Information")
        location = _sub(info, "pcx_sh", "Location")
        _sub(location, "commons", "areaName", r["name"])
        if r["lat"] is not None and r["lon"] is not None:
            _sub(location, "edxlde", "circle", f"{r['lat']},{r['lon']} 0")  # EDXL: "lat,lon radius"
        if r["address"]:
            _sub(location, "pcx_sh", "Address", r["address"])
        _sub(info, "pcx_sh", "Type", r["type"])
        if r["type_detail"]:
            _sub(info, "pcx_sh", "TypeDetail", r["type_detail"])
        _sub(info, "pcx_sh", "Sort", r["sort"])
        if r["date_time"]:
            _sub(info, "pcx_sh", "DateTime", r["date_time"])
        if r["capacity"]:
            _sub(info, "pcx_sh", "Capacity", r["capacity"])
        _counts(info, "NumberOf", r["head_count"], r["households"], r["head_count_voluntary"],
                r["households_voluntary"])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def to_csv(document):
    """The same fields flat, one row per shelter (UTF-8 with BOM), for prefectural upload screens."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ja for _key, ja in CSV_COLUMNS])
    head = {"document_id": document["document_id"], "revision": document["revision"],
            "previous_revision": document["previous_revision"],
            "distribution_type": document["distribution_type"],
            "distribution_status": document["distribution_status"], "report_at": _jst(document["report_at"])}
    for record in document["shelters"]:
        values = {**head, **record}
        writer.writerow(["" if values.get(key) is None else values[key] for key, _ja in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(document, extension):
    stamp = parse_time(document["report_at"]).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"lalert-shelter-{document['municipality_code']}-r{document['revision']}-{stamp}.{extension}"


def parse(data):
    """Read an issued XML back into {distribution_type, revision, previous_revision, document_id, errata,
    totals, shelters}: what the tests and the docs' example check against the state."""
    root = ET.fromstring(data)
    content = root.find("commons:contentObject", NS)
    body = content.find(".//pcx_sh:Shelter", NS)

    def number(parent, path):
        found = parent.find(path, NS) if parent is not None else None
        return None if found is None else int(found.text)

    shelters_out = []
    for info in body.findall("pcx_sh:Informations/pcx_sh:Information", NS):
        circle = info.findtext("pcx_sh:Location/edxlde:circle", default="", namespaces=NS)
        lat, lon = (float(v) for v in circle.split()[0].split(",")) if circle else (None, None)
        shelters_out.append({
            "name": info.findtext("pcx_sh:Location/commons:areaName", namespaces=NS),
            "address": info.findtext("pcx_sh:Location/pcx_sh:Address", default="", namespaces=NS),
            "lat": lat, "lon": lon,
            "type": info.findtext("pcx_sh:Type", namespaces=NS),
            "type_detail": info.findtext("pcx_sh:TypeDetail", default="", namespaces=NS),
            "sort": info.findtext("pcx_sh:Sort", namespaces=NS),
            "date_time": info.findtext("pcx_sh:DateTime", default="", namespaces=NS),
            "capacity": number(info, "pcx_sh:Capacity"),
            "head_count": number(info, "pcx_sh:NumberOf/pcx_sh:HeadCount"),
            "households": number(info, "pcx_sh:NumberOf/pcx_sh:Households"),
        })
    return {
        "distribution_type": root.findtext("edxlde:distributionType", namespaces=NS),
        "distribution_status": root.findtext("edxlde:distributionStatus", namespaces=NS),
        "document_id": content.findtext("commons:documentID", namespaces=NS),
        "revision": int(content.findtext("commons:documentRevision", namespaces=NS)),
        "previous_revision": int(content.findtext("commons:previousDocumentRevision", namespaces=NS)),
        "category": content.findtext("commons:category", namespaces=NS),
        "errata": root.findtext(".//pcx_eb:Errata/pcx_eb:Description", default="", namespaces=NS),
        "totals": {"head_count": number(body, "pcx_sh:TotalNumber/pcx_sh:HeadCount"),
                   "households": number(body, "pcx_sh:TotalNumber/pcx_sh:Households"),
                   "open_shelters": number(body, "pcx_sh:TotalNumberOfShelter")},
        "shelters": shelters_out,
    }
