"""Hostile files are refused whole, fast and in little memory, with a reason: an XLSX that inflates to
millions of rows, an XML bomb, a file over the size limit, a CSV over the row limit — through the core,
the API, the web page, and a real `ehsj serve` that goes on answering. Nothing of them is stored.

The files are built here, small on disk: a sheet's XML written straight into a zip (one row repeated,
deflated), a billion-laughs DTD, a CSV of many rows."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openpyxl
import psutil  # type: ignore[import-untyped]  # no stubs installed
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ehsj_core.db import create_db_engine
from ehsj_core.events.reader import LogReader
from ehsj_core.imports.limits import ImportLimits, defused_xml_problem
from ehsj_core.imports.readers import read_sheet
from ehsj_core.imports.run import ImportReport, import_file
from ehsj_core.settings import Settings
from ehsj_core.setup import initialise
from ehsj_core.tracker import Tracker
from ehsj_core.users import create_user
from services.api.app import create_app
from tests.conftest import CONTRACTS, ROOT, auth
from tests.factories import Actor
from tests.integration.test_imports import crm_rows, csv_bytes
from tests.mailsink import free_port
from tests.processes import EHSJ, spawn, stop
from tests.webclient import create_people, sign_in, token_of

MB = 1024 * 1024
SMALL = {"import_max_bytes": 2 * MB, "import_max_rows": 1_000}  # the installation of most tests here
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
XML = '<?xml version="1.0" encoding="UTF-8"?>'
PARTS = {
    "[Content_Types].xml": XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": XML + f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
    f'Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": XML + f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}">'
    '<sheets><sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": XML + f'<Relationships xmlns="{PACKAGE}">'
    f'<Relationship Id="rId1" Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATIONS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}
STRINGS = XML + f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>Dato</t></si></sst>'
HEADER_ROW = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
ROW = '<row><c t="inlineStr"><is><t>01-01-2019</t></is></c></row>'
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    + "]>"
)


def workbook(sheet: Iterable[str], strings: str = STRINGS) -> bytes:
    """An XLSX of one sheet whose XML is `sheet`'s pieces, streamed into the zip (deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/sharedStrings.xml", strings)
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for piece in sheet:
                part.write(piece.encode())
    return buffer.getvalue()


def rows_sheet(rows: int, dimension: str | None = None, gap_to: int | None = None) -> Iterator[str]:
    """A sheet of a header and `rows` rows (repeated in blocks); `dimension`: its declared ref;
    `gap_to`: one more row at that row number, the rows between left out (they count all the same)."""
    yield XML + f'<worksheet xmlns="{MAIN}">' + (f'<dimension ref="{dimension}"/>' if dimension else "")
    yield "<sheetData>" + HEADER_ROW
    block = ROW * 10_000
    for _ in range(rows // 10_000):
        yield block
    yield ROW * (rows % 10_000)
    if gap_to is not None:
        yield f'<row r="{gap_to}"><c r="A{gap_to}" t="inlineStr"><is><t>01-01-2019</t></is></c></row>'
    yield "</sheetData></worksheet>"


@pytest.fixture(scope="module")
def three_million_rows() -> bytes:
    data = workbook(rows_sheet(3_000_000, dimension="A1:A3000001"))
    assert len(data) < 600 * 1024  # small on disk: about 500 KB for 166 MB of sheet
    return data


def bombs() -> dict[str, bytes]:
    """A billion laughs (10⁹ "lol"s) in the shared strings, and in the sheet behind a comment long
    enough that the DTD lies past the head the zip check reads: there defusedxml refuses it."""
    strings = XML + LAUGHS + f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    padding = "<!--" + "x" * 8_000 + "-->"
    sheet = XML + padding + LAUGHS + f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}'
    sheet += '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    return {"sharedStrings.xml": workbook(rows_sheet(1), strings), "sheet1.xml": workbook([sheet])}


def crm(tracker: Tracker, data: bytes, name: str, limits: ImportLimits | None = None) -> ImportReport:
    return import_file(tracker.import_destination(), "crm", data, name, by=Actor("import"), limits=limits)


def refused(report: ImportReport) -> str:
    """The one problem of a file refused whole (row 0), and that nothing of it was stored."""
    assert report.stored == 0 and report.rows == 0, report.as_dict()
    (problem,) = report.problems
    assert problem.row == 0 and problem.column == ""
    return problem.problem


@pytest.fixture
def small(settings: Settings, engine: Engine) -> Tracker:
    """The test database with the limits of SMALL."""
    return Tracker(settings.model_copy(update=SMALL), engine)


@pytest.fixture
def api(small: Tracker) -> Iterator[TestClient]:
    with TestClient(create_app(small.settings, small)) as client:
        yield client


def test_defusedxml_parses_every_xlsx_and_without_it_no_xlsx_is_read() -> None:
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML and functions.iterparse.__module__.startswith("defusedxml")
    assert defused_xml_problem() is None
    probe = (
        "from ehsj_core.imports.readers import read_sheet; import sys; "
        "print(read_sheet(sys.stdin.buffer.read(), 'a.xlsx').file_problems)"
    )
    env = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    off = subprocess.run(
        [sys.executable, "-c", probe], input=workbook(rows_sheet(1)), env=env, cwd=ROOT, capture_output=True
    )
    assert off.returncode == 0, off.stderr
    assert "defusedxml er ikke aktiv" in off.stdout.decode()  # fails closed


def test_the_limits_default_to_the_settings_defaults(settings: Settings) -> None:
    assert ImportLimits.of(settings) == ImportLimits() == ImportLimits(100 * MB, 100 * MB, 100_000)


def test_an_xlsx_that_inflates_to_three_million_rows_is_refused_from_its_zip_directory(
    tracker: Tracker, three_million_rows: bytes
) -> None:
    crm(tracker, csv_bytes(crm_rows(5)), "crm.csv")
    started = time.monotonic()
    problem = refused(crm(tracker, three_million_rows, "crm.xlsx"))
    assert time.monotonic() - started < 2
    assert problem == "regnearket fylder 166 MB udpakket; højst 100 MB er tilladt"
    roomy = ImportLimits(max_uncompressed_bytes=1024 * MB)  # the size allowed: the ratio gives it away
    ratio = refused(crm(tracker, three_million_rows, "crm.xlsx", roomy))
    assert re.fullmatch(  # about 340 (as zlib packs it)
        r"delen xl/worksheets/sheet1\.xml pakkes ud til \d{3}(\.\d{3})? gange sin størrelse "
        r"\(en såkaldt zip-bombe\); højst 100 gange er tilladt",
        ratio,
    ), ratio
    assert tracker.log.head().position == 5


def test_a_sheet_declaring_millions_of_rows_is_refused_before_a_row_is_read(tracker: Tracker) -> None:
    declared = workbook(rows_sheet(3, dimension="A1:G3000001"))
    assert refused(crm(tracker, declared, "crm.xlsx")) == (
        "regnearket angiver 3.000.000 rækker (dets <dimension>); højst 100.000 rækker pr. import — del filen op"
    )


def test_a_sheet_without_dimension_is_stopped_at_the_first_row_past_the_limit(tracker: Tracker) -> None:
    """25 million rows, almost all of them left out of the XML (openpyxl yields them empty), and a
    sheet of real rows one past a small limit; a sheet at the limit is read."""
    gap = workbook(rows_sheet(3, gap_to=25_000_000))
    started = time.monotonic()
    assert refused(crm(tracker, gap, "crm.xlsx")) == (
        "filen har mere end 100.000 rækker; højst 100.000 rækker pr. import — del filen op"
    )
    assert time.monotonic() - started < 2
    limits = ImportLimits(max_rows=1_000)
    assert "mere end 1.000 rækker" in refused(crm(tracker, workbook(rows_sheet(1_001)), "crm.xlsx", limits))
    at_limit = crm(tracker, workbook(rows_sheet(1_000)), "crm.xlsx", limits)
    assert at_limit.rows == 1_000 and {p.row for p in at_limit.problems} == {1}  # read: its columns are wrong
    assert tracker.log.head().position == 0


def test_a_sheet_claiming_every_column_is_read_row_by_row_and_data_past_column_1000_is_refused(
    tracker: Tracker,
) -> None:
    wide = workbook(rows_sheet(2, dimension="A1:XFD3"))  # trusted, every row would be 16,384 cells
    report = crm(tracker, wide, "crm.xlsx")
    assert report.rows == 2 and {p.row for p in report.problems} == {1}  # read; the columns are wrong
    far = XML + f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}<row r="2"><c r="XFD2"><v>1</v></c></row>'
    assert refused(crm(tracker, workbook([far + "</sheetData></worksheet>"]), "crm.xlsx")) == (
        "række 2 har data i mere end 1.000 kolonner; højst 1.000 kolonner er tilladt"
    )


def test_csv_lines_are_split_one_at_a_time_as_before() -> None:
    """The reader no longer copies the text into an io.StringIO; lines end at \r\n, \n or \r only,
    and a quoted field keeps its line breaks."""
    lines = ["Dato;Note", '01-01-2019;"to\r\nlinjer"', "02-01-2019;a\x85b\u2028c"]
    sheet = read_sheet(("\r\n".join(lines) + "\r03-01-2019;x").encode(), "a.csv")
    assert sheet.rows == [
        (2, ["01-01-2019", "to\r\nlinjer"]),
        (3, ["02-01-2019", "a\x85b\u2028c"]),
        (4, ["03-01-2019", "x"]),
    ]


@pytest.mark.parametrize("part", ["sharedStrings.xml", "sheet1.xml"])
def test_an_xml_bomb_is_refused(tracker: Tracker, part: str) -> None:
    bomb = bombs()[part]
    started = time.monotonic()
    problem = refused(crm(tracker, bomb, "crm.xlsx"))
    assert time.monotonic() - started < 2
    if part == "sharedStrings.xml":  # seen in the zip's parts, before parsing
        assert problem.startswith("delen xl/sharedStrings.xml erklærer en DTD eller XML-entiteter (<!DOCTYPE>)")
    else:  # past the head the zip check reads: defusedxml refuses it while parsing
        assert problem.startswith("regnearket erklærer XML-entiteter (en såkaldt XML-bombe)")


def test_files_over_the_size_and_row_limits_are_refused_by_the_core(small: Tracker) -> None:
    limits = ImportLimits.of(small.settings)
    big = csv_bytes(crm_rows(40_000))[: 3 * MB + MB // 2]
    assert refused(crm(small, big, "crm.csv", limits)) == "filen fylder 3,5 MB; højst 2 MB er tilladt"
    assert refused(crm(small, csv_bytes(crm_rows(1_001)), "crm.csv", limits)) == (
        "filen har mere end 1.000 rækker; højst 1.000 rækker pr. import — del filen op"
    )
    assert crm(small, csv_bytes(crm_rows(1_000)), "crm.csv", limits).stored == 1_000
    assert small.log.head().position == 1_000


def test_the_api_refuses_each_hostile_file(
    api: TestClient, small: Tracker, tokens: dict[str, str], three_million_rows: bytes
) -> None:
    headers = auth(tokens["consultant"])

    def upload(data: bytes, name: str):  # TestClient answers Any here
        return api.post("/api/imports/crm", files={"file": (name, data)}, headers=headers)

    for data, words in [
        (three_million_rows, "regnearket fylder 166 MB udpakket"),
        (workbook(rows_sheet(3, gap_to=25_000_000)), "filen har mere end 1.000 rækker"),
        (bombs()["sheet1.xml"], "XML-bombe"),
        (csv_bytes(crm_rows(1_001)), "filen har mere end 1.000 rækker"),
    ]:
        answer = upload(data, "crm.xlsx" if data[:2] == b"PK" else "crm.csv")
        assert answer.status_code == 422 and words in answer.json()["problems"][0]["problem"], answer.text
    over = upload(csv_bytes(crm_rows(25_000))[: 2 * MB + 10_000], "crm.csv")  # within the envelope: read
    assert over.status_code == 413
    problem = "filen fylder mere end 2 MB; højst 2 MB er tilladt"
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json() == {
        "type": "about:blank",
        "title": "For stor",
        "status": 413,
        "detail": f"file: {problem}",
        "errors": [{"field": "file", "value": None, "problem": problem, "allowed": None}],
    }
    far = upload(csv_bytes(crm_rows(40_000))[: 3 * MB + MB // 2], "crm.csv")  # from its Content-Length
    assert far.status_code == 413 and far.json()["errors"][0]["problem"].startswith("filen fylder 3,5 MB")
    streamed = api.post(  # no Content-Length: refused as the body streams past the limit
        "/api/imports/crm",
        content=(b"x" * MB for _ in range(4)),
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413 and "højst 2 MB er tilladt" in streamed.text
    assert small.log.head().position == 0


def test_the_web_page_refuses_a_file_over_the_limit_with_the_reason(small: Tracker) -> None:
    create_people(small.engine)
    with TestClient(create_app(small.settings, small), base_url="https://testserver") as web:
        sign_in(web, "Karen Konsulent")
        form = {"kind": "crm", "csrf_token": token_of(web, "/import")}
        for size in (2 * MB + 10_000, 4 * MB):  # read to the limit; refused from the Content-Length
            page = web.post("/import", data=form, files={"file": ("crm.csv", csv_bytes(crm_rows(45_000))[:size])})
            assert page.status_code == 413 and "højst 2 MB er tilladt." in page.text
        page = web.post("/import", data=form, files={"file": ("crm.xlsx", bombs()["sharedStrings.xml"])})
        assert page.status_code == 422 and "XML-bombe" in page.text
    assert small.log.head().position == 0


def test_the_cli_refuses_a_file_over_the_limits_before_reading_it(
    tmp_path: Path, database_url: str, tracker: Tracker
) -> None:
    env = {**os.environ, "EHSJ_DATABASE_URL": database_url, "EHSJ_CONTRACTS_DIR": str(CONTRACTS), "COLUMNS": "200"}
    create_user(tracker.engine, "Karen", "consultant")
    path = tmp_path / "crm.csv"
    path.write_bytes(csv_bytes(crm_rows(30)))  # 2,7 KB

    def run(**limits: str) -> subprocess.CompletedProcess[str]:
        settings = {f"EHSJ_IMPORT_MAX_{key.upper()}": value for key, value in limits.items()}
        command = [EHSJ, "import", "crm", str(path), "--as", "Karen"]
        return subprocess.run(command, env={**env, **settings}, capture_output=True, text=True, timeout=120)

    too_large = run(bytes="2048")
    assert too_large.returncode == 2, too_large.stderr
    assert "crm.csv: filen fylder 3 KB; højst 2 KB er tilladt; intet er gemt." in too_large.stderr
    too_long = run(rows="20")
    assert too_long.returncode == 2 and "filen har mere end 20 rækker" in too_long.stderr, too_long.stderr
    assert tracker.log.head().position == 0


def test_a_real_server_refuses_them_fast_in_little_memory_and_goes_on_answering(
    tmp_path: Path, three_million_rows: bytes
) -> None:
    """`ehsj serve` with the default limits; the server's resident memory is sampled during each
    upload; /api/healthz answers after each."""
    database = f"sqlite:///{tmp_path / 'ehsj.sqlite3'}"
    engine = create_db_engine(database)
    initialise(engine, CONTRACTS)
    token = create_user(engine, "Karen Konsulent", "consultant")
    port = free_port()
    env = {
        "EHSJ_DATABASE_URL": database,
        "EHSJ_CONTRACTS_DIR": str(CONTRACTS),
        "EHSJ_OUTBOX_DIR": str(tmp_path / "outbox"),
        "EHSJ_SECRET_KEY": "hostile-files-test-secret-key-of-sufficient-length-0123456789",
        "EHSJ_MODE": "embedded",
    }
    server = spawn(["serve", "--port", str(port)], env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server, tmp_path / "serve.log")
        process = psutil.Process(server.pid)
        hostile = [
            (three_million_rows, "crm.xlsx", 422, "regnearket fylder 166 MB udpakket"),
            (workbook(rows_sheet(3, gap_to=25_000_000)), "crm.xlsx", 422, "filen har mere end 100.000 rækker"),
            (bombs()["sharedStrings.xml"], "crm.xlsx", 422, "XML-bombe"),
            (bombs()["sheet1.xml"], "crm.xlsx", 422, "XML-bombe"),
            (csv_bytes(crm_rows(100_001)), "crm.csv", 422, "filen har mere end 100.000 rækker"),
        ]
        with httpx.Client(base_url=base, headers=auth(token), timeout=30) as client:
            for data, name, code, words in hostile:
                before = _rss(process)
                with _peak_rss(process) as peak:
                    started = time.monotonic()
                    answer = client.post("/api/imports/crm", files={"file": (name, data)})
                    seconds = time.monotonic() - started
                assert answer.status_code == code and words in answer.text, answer.text
                assert seconds < 5, (name, words, seconds)
                assert peak[0] - before < 200 * MB, (words, (peak[0] - before) // MB)
                assert client.get("/api/healthz").status_code == 200
            started = time.monotonic()
            head = _claim_a_huge_body(port, token)
            assert time.monotonic() - started < 5
            assert head.startswith(b"HTTP/1.1 413") and "højst 100 MB er tilladt".encode() in head, head
            assert client.get("/api/healthz").status_code == 200
        assert LogReader(engine).head().position == 0
    finally:
        stop(server)
        engine.dispose()


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{base}/api/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"ehsj serve did not answer: {log.read_text()}")


def _rss(process: psutil.Process) -> int:
    return int(process.memory_info().rss) + sum(int(c.memory_info().rss) for c in process.children(recursive=True))


@contextmanager
def _peak_rss(process: psutil.Process) -> Iterator[list[int]]:
    """The highest resident memory of the process while the block runs (in [0]), sampled every 5 ms."""
    peak, done = [_rss(process)], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss(process))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
        peak[0] = max(peak[0], _rss(process))


def _claim_a_huge_body(port: int, token: str) -> bytes:
    """An upload announcing 10 GB and sending none of it: the answer comes before the body is read."""
    request = (
        "POST /api/imports/crm HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        "Content-Length: 10000000000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer
