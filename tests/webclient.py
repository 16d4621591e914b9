"""The web app through Starlette's test client: HTTPS (the session cookie is Secure), signed in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.users import create_user

PASSWORD = "korrekt-hest-batteri"
# name → (role, municipality)
PEOPLE = {
    "Karen Konsulent": ("consultant", None),
    "Kim Konsulent": ("consultant", None),
    "Dorte Direktør": ("director", None),
    "Anders Revisor": ("auditor", None),
    "Lars Erhvervschef": ("chief", "Lolland"),
}
ROLE_PERSON = {role: name for name, (role, _m) in PEOPLE.items() if name != "Kim Konsulent"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_people(engine: Engine) -> None:
    for name, (role, municipality) in PEOPLE.items():
        create_user(engine, name, role, municipality, password=PASSWORD)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/log-ind").text)
    answer = client.post(
        "/log-ind", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def token_of(client: TestClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)
