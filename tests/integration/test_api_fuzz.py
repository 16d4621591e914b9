"""Schemathesis with every check against the app, on SQLite and PostgreSQL: the API answers as its
OpenAPI document says. Every status it answers is documented, every body fits its schema (one problem
detail for every refusal), what the schema allows is accepted, what it forbids refused; signed in as the
director over a demo year, and without a token (every route but the health check: 401)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from ehsj_core.db import create_db_engine
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import CONTRACTS
from tests.services import fresh_postgres_database

OPERATIONS = 26  # every /api route; a new one raises this number and gets fuzzed with the others
MAX_EXAMPLES = 25
# Where the core's rules go beyond what a JSON Schema can say (the rule book and each event type's
# data, a CVR number's modulus 11, a period that fits its report kind, a known municipality, an
# e-mail address, the rows of a file, `from` before `to`), a request the schema allows may still be
# refused with the documented 422. Everywhere else the schema is exact: a 422 there is a failure.
RULES_BEYOND_THE_SCHEMA = [
    "events_append",
    "events_list",
    "audit_diff",
    "imports_upload",
    "reports_preview",
    "reports_send",
    "reports_request_status",
    "recipients_create",
]
# In a multipart body a file is bytes, whatever JSON type schemathesis drew for it ("a number" is a
# file holding those digits): no negative file exists to refuse.
FILE_UPLOADS = ["imports_upload", "audit_verify_file"]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's default, for the record


def _config(headers: dict[str, str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "headers": headers,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "operations": [
                {
                    "include-operation-id": RULES_BEYOND_THE_SCHEMA,
                    "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
                },
                {
                    "include-operation-id": FILE_UPLOADS,
                    "checks": {"negative_data_rejection": {"enabled": False}},
                },
            ],
        }
    )


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'ehsj.sqlite3'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(scope="module")
def fuzz_app(fuzz_database: str) -> tuple[Any, str]:
    """The app over the demo year, and the director's token."""
    config = Settings(database_url=fuzz_database, contracts_dir=CONTRACTS, environment="test")
    engine = create_db_engine(config.database_url)
    initialise(engine, CONTRACTS)
    token = create_user(engine, "Fuzz Direktør", "director")
    tracker = Tracker(config, engine)
    tracker.load_demo(year=2019)
    return create_app(config, tracker), token


def _counted(schema: Any, cases: Counter[str]) -> Iterator[Any]:
    """The schema; afterwards, every operation must have been called (no silent pass on zero cases)."""
    yield schema
    operations = {o.ok().label for o in schema.get_all_operations()}
    assert len(operations) == OPERATIONS
    assert set(cases) == operations, cases
    assert sum(cases.values()) >= OPERATIONS * MAX_EXAMPLES, cases


DIRECTOR_CASES: Counter[str] = Counter()
ANONYMOUS_CASES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def as_director(fuzz_app: tuple[Any, str]) -> Iterator[Any]:
    app, token = fuzz_app
    DIRECTOR_CASES.clear()
    config = _config({"Authorization": f"Bearer {token}"})
    yield from _counted(schemathesis.openapi.from_asgi("/openapi.json", app, config=config), DIRECTOR_CASES)


@pytest.fixture(scope="module")
def anonymous(fuzz_app: tuple[Any, str]) -> Iterator[Any]:
    app, _token = fuzz_app
    ANONYMOUS_CASES.clear()
    yield from _counted(schemathesis.openapi.from_asgi("/openapi.json", app, config=_config({})), ANONYMOUS_CASES)


@pytest.fixture(autouse=True)
def _node_id(request: pytest.FixtureRequest) -> None:
    """Schemathesis's fixture-loaded schema (4.32) renames the test node through `Node._nodeid`,
    which pytest 9.2 no longer has (it keeps `_id`): give it the attribute it reads."""
    request.node._nodeid = request.node.nodeid


director_schema = schemathesis.pytest.from_fixture("as_director")
anonymous_schema = schemathesis.pytest.from_fixture("anonymous")


@director_schema.parametrize()
def test_the_api_answers_the_director_as_documented(case: Any) -> None:
    DIRECTOR_CASES[case.operation.label] += 1
    case.call_and_validate()


@anonymous_schema.parametrize()
def test_the_api_answers_without_a_token_as_documented(case: Any) -> None:
    ANONYMOUS_CASES[case.operation.label] += 1
    response = case.call_and_validate()
    if case.operation.path != "/api/healthz":  # refused: unread, without a route or a method, or 401
        assert response.status_code in {400, 401, 404, 405, 422}, (case.method, case.path, response.status_code)


def test_the_runs_have_every_check_of_schemathesis_on() -> None:
    load_all_checks()
    names = CHECKS.get_all_names()
    checks = _config({}).projects.default.checks_config_for()
    assert len(names) == 14 and all(getattr(checks, name).enabled for name in names)


def test_every_operation_has_a_stable_id_a_danish_summary_and_documents_its_refusals(
    fuzz_app: tuple[Any, str],
) -> None:
    document = fuzz_app[0].openapi()
    ids = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            ids.append(operation["operationId"])
            assert re.fullmatch(r"[a-z]+(_[a-z]+)+", operation["operationId"]), (method, path)
            assert operation["summary"] and not re.search(r"\b(Read|List|Get|Post|Append)\b", operation["summary"])
            responses = operation["responses"]
            if path != "/api/healthz":
                assert {"401", "403"} <= set(responses), (method, path)
            for code, answer in responses.items():
                if code.startswith(("4", "5")):
                    assert "application/problem+json" in answer["content"], (method, path, code)
    assert len(ids) == len(set(ids)) == OPERATIONS
    assert "HTTPValidationError" not in document["components"]["schemas"]
