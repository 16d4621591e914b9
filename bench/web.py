"""The web pages' server time at the bench's event count: dashboard and municipality pages, p95.

Signs in to a running server (`ehsj serve`) as a director and times each page; the server's own
time comes from its `Server-Timing: app;dur=…` header, the client's includes the HTTP round trip.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from ehsj_core.users import create_user

PAGES = {
    "dashboard": "/?year=2019",
    "municipalities": "/kommuner?year=2019",
    "municipality_lolland": "/kommuner/Lolland?year=2019",
}
PASSWORD = "bench-adgangskode-1"
REPEAT = 40


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))], 2)


def web_figures(base_url: str, engine: Engine) -> dict[str, Any]:
    """{"web_dashboard": {"server_p50_ms", "server_p95_ms", "client_p95_ms"}, …}. The server must
    run with EHSJ_SESSION_COOKIE_SECURE=false: the bench talks plain HTTP through httpx."""
    create_user(engine, "bench-direktør", "director", password=PASSWORD)
    results: dict[str, Any] = {}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        form = client.get("/log-ind").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        signed = client.post(
            "/log-ind", data={"name": "bench-direktør", "password": PASSWORD, "csrf_token": token.group(1)}
        )
        assert signed.status_code == 303, signed.text
        for name, path in PAGES.items():
            client.get(path).raise_for_status()  # warm
            server, total = [], []
            for _ in range(REPEAT):
                start = time.perf_counter()
                answer = client.get(path)
                total.append((time.perf_counter() - start) * 1000)
                answer.raise_for_status()
                server.append(float(answer.headers["server-timing"].split("dur=")[1]))
            results[f"web_{name}"] = {
                "server_p50_ms": round(statistics.median(server), 2),
                "server_p95_ms": _p95(server),
                "client_p95_ms": _p95(total),
            }
    return results
