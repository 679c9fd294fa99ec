"""`redprop export open311`: checked against the official GeoReport v2 JSON schemas (tests/data/open311,
see SOURCE.md there), read back by a real Open311 client (the `georeport` package) from a server on
127.0.0.1, and holding no resident's name, phone or room."""

import json
import threading
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import built_once

SCHEMAS = Path(__file__).parent / "data" / "open311"
NAMES = ("熊秀英", "谭晨睿", "欧阳娜娜")
PHONES = ("13812340015", "0874-8552052", "8552052")


@pytest.fixture
@built_once
def exported(db, run, tmp_path) -> Path:
    def ok(*args):
        result = run(*args)
        assert result.exit_code == 0, result.output

    ok("household", "add", "8-2-301", "--head", "熊秀英", "--phone", "13812340015")
    ok("resident", "add", "8-2-301", "谭晨睿")
    ok("household", "add", "5-1-202", "--head", "欧阳娜娜")
    ok("group", "join", "5-1-202", "矫正人员", "--since", "2026-10-01")  # a sensitive group
    ok("staff", "add", "姜红华", "--role", "网格员")
    ok("issue", "category", "edit", "repair", "--upstream", "市政设施/给排水")
    ok("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household", "8-2-301",
       "--title", "熊秀英家301室水管漏水", "--description", "谭晨睿来电 13812340015，厨房 8-2-301 漏水", "--at",
       "2026-11-09 09:00", "--to", "姜红华")
    ok("issue", "resolve", "1", "--at", "2026-11-09 11:00", "--note", "已换阀门，熊秀英确认")
    ok("issue", "open", "--kind", "problem", "--category", "乱停车", "--channel", "热线", "--place", "1栋消防通道",
       "--title", "消防通道被占", "--at", "2026-11-10 10:00", "--order", "12345-20261110-0007", "--order-from", "12345",
       "--order-due", "3个工作日")
    ok("issue", "sign", "12345-20261110-0007", "--at", "2026-11-10 10:20")
    ok("issue", "open", "--kind", "problem", "--category", "噪音", "--channel", "热线", "--household", "5-1-202",
       "--title", "楼上噪音", "--at", "2026-11-10 11:00")
    ok("issue", "open", "--kind", "problem", "--category", "其他", "--channel", "热线", "--place", "东门外市政路",
       "--title", "路面塌陷", "--at", "2026-11-10 12:00", "--order", "W-3", "--order-from", "网格中心", "--order-due",
       "1个工作日")
    ok("issue", "return", "W-3", "--reason", "市政道路，非本社区", "--at", "2026-11-10 12:30")
    ok("issue", "open", "--kind", "problem", "--category", "其他", "--channel", "热线", "--place", "2栋",
       "--title", "误登记", "--at", "2026-11-10 13:00")
    ok("issue", "void", "5", "--reason", "重复登记")
    folder = tmp_path / "open311"
    ok("export", "open311", folder, "--from", "2026-11-01", "--to", "2026-11-30", "--at", "2026-11-12 12:00")
    return folder


def _validator(name: str):
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.json")}
    registry = Registry().with_resources(
        (file, Resource.from_contents(schema, default_specification=DRAFT4)) for file, schema in schemas.items())
    return Draft4Validator(schemas[name], registry=registry, format_checker=FormatChecker())


def test_the_export_is_valid_georeport_v2(exported):
    services = json.loads((exported / "services.json").read_text(encoding="utf-8"))
    requests = json.loads((exported / "requests.json").read_text(encoding="utf-8"))
    _validator("services.json").validate(services)
    _validator("requests.json").validate(requests)
    for request in requests:
        _validator("request.json").validate(request)
        one = json.loads((exported / "requests" / f"{request['service_request_id']}.json").read_text(encoding="utf-8"))
        assert one == [request]
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if request[key] is not None:
                assert datetime.fromisoformat(request[key]).utcoffset() is not None, key  # w3c, with its offset
        for note in request["notes"]:
            assert set(note) == {"datetime", "description", "type"}
    assert {s["service_code"] for s in services} >= {"parking", "repair", "noise", "other"}
    repair = next(s for s in services if s["service_code"] == "repair")
    assert (repair["service_name"], repair["group"], repair["metadata"], repair["type"]) == ("报修", "市政设施", False, "batch")
    by_id = {r["service_request_id"]: r for r in requests}
    assert set(by_id) == {"1", "2", "4"}, "the sensitive household's issue and the voided one stay home"
    assert by_id["1"]["status"] == "closed" and by_id["1"]["address"] == "8栋, 测试小区"
    assert by_id["2"]["status"] == "open" and by_id["2"]["service_notice"] == "12345 12345-20261110-0007"
    assert by_id["2"]["expected_datetime"] is not None and [n["type"] for n in by_id["2"]["notes"]] == ["open", "dispatch", "sign"]
    assert by_id["4"]["status"] == "closed" and by_id["4"]["status_notes"] == "已退回", "a returned order is closed"
    assert by_id["4"]["service_code"] == "other"


def test_no_resident_name_phone_or_room_leaves(exported):
    text = "".join(p.read_text(encoding="utf-8") for p in exported.rglob("*.json"))
    for secret in (*NAMES, *PHONES, "8-2-301", "301", "5-1-202"):
        assert secret not in text, secret
    requests = json.loads((exported / "requests.json").read_text(encoding="utf-8"))
    leak = next(r for r in requests if r["service_request_id"] == "1")
    assert "水管漏水" in leak["description"] and "8栋" in leak["description"], "the rest of the text stays"


def test_a_real_open311_client_reads_it_from_a_local_server(exported):
    from georeport import GeoReport

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(exported)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = GeoReport(f"http://127.0.0.1:{server.server_address[1]}")
        services = client.get_service_list()
        requests = client.get_service_requests(start_date="2026-11-01T00:00:00+08:00", status="open,closed")
        one = client.get_service_request("2")
    finally:
        server.shutdown()
        server.server_close()
    assert services == json.loads((exported / "services.json").read_text(encoding="utf-8"))
    assert [r["service_request_id"] for r in requests] == ["4", "2", "1"], "newest first"
    assert one["service_request_id"] == "2" and one["service_name"] == "乱停车"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log on the test's stderr
        pass
