"""The hash chain over the log.

Each row's `hash` is SHA-256 (hex) of the canonical JSON of the object
`{"data", "event_id", "house", "occurred_on", "position", "prev_hash", "recorded_at", "recorded_by",
"schema_version", "type"}` — keys sorted, no whitespace, UTF-8, non-ASCII characters unescaped,
`occurred_on` as `YYYY-MM-DD`, `recorded_at` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. The first row's
`prev_hash` is 64 zeros; every later row's `prev_hash` is the hash of the row before it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

GENESIS_HASH = "0" * 64


def format_recorded_at(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def chain_payload(
    *,
    position: int,
    event_id: str,
    type: str,
    schema_version: int,
    house: str,
    occurred_on: date,
    recorded_at: datetime,
    recorded_by: str,
    data: dict[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "position": position,
        "event_id": event_id,
        "type": type,
        "schema_version": schema_version,
        "house": house,
        "occurred_on": occurred_on.isoformat(),
        "recorded_at": format_recorded_at(recorded_at),
        "recorded_by": recorded_by,
        "data": data,
        "prev_hash": prev_hash,
    }


def hash_payload(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def hash_row(
    data_json: bytes,
    event_id: str,
    house: str,
    occurred_on: str,
    position: int,
    prev_hash: str,
    recorded_at: str,
    recorded_by: str,
    schema_version: int,
    type: str,
    /,
) -> str:
    """`hash_payload` of a row whose data is already canonical JSON (`canonical_json(data)`), the
    bytes the store also writes to the data column: the append path encodes each event's data once.
    "data" sorts first among the hashed keys, and the others are taken here in sorted order
    (positional: this runs once per appended event)."""
    rest = orjson.dumps(
        {
            "event_id": event_id,
            "house": house,
            "occurred_on": occurred_on,
            "position": position,
            "prev_hash": prev_hash,
            "recorded_at": recorded_at,
            "recorded_by": recorded_by,
            "schema_version": schema_version,
            "type": type,
        }
    )
    return hashlib.sha256(b'{"data":' + data_json + b"," + rest[1:]).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    position: int
    problem: str


def check_link(
    payload: dict[str, Any], stored_hash: str, expected_prev: str, expected_position: int
) -> ChainBreak | None:
    """Check one row against its predecessor; `None` when it holds."""
    position = payload["position"]
    if position != expected_position:
        return ChainBreak(expected_position, f"position {expected_position} missing (next row has {position})")
    if payload["prev_hash"] != expected_prev:
        return ChainBreak(position, "prev_hash does not match the hash of the previous row")
    if hash_payload(payload) != stored_hash:
        return ChainBreak(position, "hash does not match the row's content (the row was altered)")
    return None
