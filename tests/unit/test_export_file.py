"""Checking an exported log with nothing but the file: the chain, the positions, the `in_year` marks,
and the header and trailer. Rows are built here exactly as the store hashes them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ehsj_core.audit.export import FORMAT, VERSION, verify_file
from ehsj_core.events.chain import GENESIS_HASH, chain_payload, hash_payload

HOUSE = "sjaelland"


def rows() -> list[dict[str, Any]]:
    """Four events: two in 2019, one in 2020, and a 2020 retraction of a 2019 event."""
    specs: list[tuple[str, str, date, dict[str, Any]]] = [
        (
            "a",
            "course.completed",
            date(2019, 3, 4),
            {"course_type": "short", "municipality": "Sorø", "consultant": "Karen", "topics": []},
        ),
        ("b", "meeting.held", date(2019, 5, 6), {"meeting_kind": "all_actors"}),
        ("c", "newsletter.sent", date(2020, 1, 8), {"channel": "Nyhedsbrev"}),
        ("d", "event.retracted", date(2020, 1, 9), {"target_event_id": "a", "reason": "fejl"}),
    ]
    out, prev = [], GENESIS_HASH
    for position, (event_id, type_, on, data) in enumerate(specs, start=1):
        payload = chain_payload(
            position=position,
            event_id=event_id,
            type=type_,
            schema_version=1,
            house=HOUSE,
            occurred_on=on,
            recorded_at=datetime(2020, 1, 10, 8, position, tzinfo=UTC),
            recorded_by="Karen",
            data=data,
            prev_hash=prev,
        )
        prev = hash_payload(payload)
        out.append({**payload, "hash": prev, "in_year": on.year == 2019 or event_id == "d"})
    return out


def write(
    path: Path, lines: list[dict[str, Any]], header: dict[str, Any] | None = None, trailer: dict[str, Any] | None = None
) -> Path:
    head = lines[-1]["hash"] if lines else GENESIS_HASH
    header = header or {
        "record": "header",
        "format": FORMAT,
        "version": VERSION,
        "house": HOUSE,
        "year": 2019,
        "head_position": len(lines),
        "head_hash": head,
    }
    trailer = trailer or {
        "record": "trailer",
        "events": len(lines),
        "in_year": sum(r["in_year"] for r in lines),
        "head_position": len(lines),
        "head_hash": head,
    }
    path.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in [header, *lines, trailer]) + "\n", encoding="utf-8"
    )
    return path


def test_an_intact_export_checks_out(tmp_path: Path) -> None:
    result = verify_file(write(tmp_path / "x.jsonl", rows()))
    assert result.ok and result.rows == 4 and result.in_year == 3 and result.head_hash == rows()[-1]["hash"]


def test_an_altered_row_is_caught_at_its_position_and_line(tmp_path: Path) -> None:
    lines = rows()
    lines[1]["data"]["meeting_kind"] = "k17"
    result = verify_file(write(tmp_path / "x.jsonl", lines))
    assert not result.ok and (result.position, result.line) == (2, 3)
    assert result.problem is not None and "ændret" in result.problem


def test_a_removed_row_breaks_the_positions(tmp_path: Path) -> None:
    lines = rows()
    del lines[1]
    result = verify_file(write(tmp_path / "x.jsonl", lines))
    assert not result.ok and result.position == 2 and result.problem is not None and "mangler" in result.problem


def test_a_rehashed_row_still_breaks_the_chain_after_it(tmp_path: Path) -> None:
    lines = rows()
    lines[1]["data"]["meeting_kind"] = "k17"
    lines[1]["hash"] = hash_payload({k: v for k, v in lines[1].items() if k not in ("hash", "in_year")})
    result = verify_file(write(tmp_path / "x.jsonl", lines))
    assert not result.ok and result.position == 3 and result.problem is not None and "prev_hash" in result.problem


def test_a_flipped_year_mark_is_caught(tmp_path: Path) -> None:
    lines = rows()
    lines[3]["in_year"] = False  # the retraction withdraws a 2019 event: it counts in 2019
    result = verify_file(write(tmp_path / "x.jsonl", lines))
    assert not result.ok and result.position == 4 and result.problem is not None and "in_year" in result.problem


@pytest.mark.parametrize("cut", ["trailer", "header"])
def test_a_truncated_file_or_a_wrong_header_is_caught(tmp_path: Path, cut: str) -> None:
    path = write(tmp_path / "x.jsonl", rows())
    lines = path.read_text(encoding="utf-8").splitlines()
    if cut == "trailer":
        path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    else:
        header = json.loads(lines[0])
        header["head_position"] = 3
        path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n", encoding="utf-8")
    result = verify_file(path)
    assert not result.ok and result.problem is not None


def test_a_line_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", rows())
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:-5]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verify_file(path)
    assert not result.ok and result.line == 3 and result.problem == "linjen er ikke gyldig JSON"
