"""Open311 GeoReport v2 out: a folder any GeoReport client can read as an endpoint.

`redprop export open311 DIR` writes `services.json` (GET Service List), `requests.json` (GET
Service Requests) and `requests/ID.json` (GET Service Request: an array of one) as the
specification shapes them (see reports.open311 for what each field holds and what never
leaves). Served as static files (any web server, `python -m http.server`), the folder
answers `GET /services.json`, `/requests.json` and `/requests/37.json` as a city's endpoint
does. Each file is written whole (a reader never meets half of one) and readable by its
owner only.
"""

import json
from datetime import datetime, timedelta
from pathlib import Path

from redprop.errors import BadPath
from redprop.reports.open311 import service_list, service_requests
from redprop.store.files import shown, written_whole

DEFAULT_DAYS = 90  # GeoReport's own default window for GET Service Requests


def export_open311(store, folder: Path, start: datetime | None, end: datetime | None, at: datetime, labels) -> dict:
    """Write the folder; {"folder", "services", "requests"} (how many of each were written)."""
    end = end or at
    start = start or end - timedelta(days=DEFAULT_DAYS)
    services = service_list(store, labels)
    requests = service_requests(store, start, end, at, labels)
    try:
        (folder / "requests").mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BadPath("{path} is a file; give a folder", path=shown(folder)) from None
    except OSError as error:
        raise BadPath("cannot write {path}: {reason}", path=shown(folder), reason=error.strerror or str(error)) from None
    _write(folder / "services.json", services)
    _write(folder / "requests.json", requests)
    written = set()
    for request in requests:
        name = f"{request['service_request_id']}.json"
        _write(folder / "requests" / name, [request])
        written.add(name)
    for old in (folder / "requests").glob("*.json"):  # an earlier export's, outside this window
        if old.name not in written and old.stem.isdigit():
            old.unlink()
    return {"folder": str(folder), "services": len(services), "requests": len(requests)}


def _write(path: Path, document) -> None:
    with written_whole(path, "w", encoding="utf-8") as stream:
        json.dump(document, stream, ensure_ascii=False, indent=1)
        stream.write("\n")
