"""Sealing the personal fields of an event's data, and opening them again (pure, no I/O).

At append time (`store.py`) each personal field is taken out of the data and put, AES-256-GCM
encrypted with the key of the data subject it belongs to, under `sealed` in the data itself, with
the subject's pseudonym in clear beside it:

    {"course_type": "action_plan", "company_cvr": "…", "municipality": "Lolland",
     "company_ref": "s_81aa…", "consultant_ref": "s_3f9c…",
     "sealed": {"company_name": "…", "consultant": "…"}}

Each sealed value is base64 of the 12-byte nonce, the ciphertext of the field's JSON value and the
16-byte tag. Its subject is the pseudonym in the field's `…_ref`; evidence, which has none, is its
author's, whose pseudonym is the event's `recorded_by`.

The chain hashes the data as stored, so it covers the ciphertext, and deleting a key later changes
no stored byte. The associated data of each ciphertext is the subject and the field; the chain binds
each envelope to its event. What the fold must tell apart (distinct consultants) it reads
from the pseudonym in clear (`consultant_ref`), which survives erasure; the CVR stays in clear (it is
the company's public register number, which the fold counts and matches by).

Who logged an event (`recorded_by`, a user's name, which is the consultant's name for the events
consultants log themselves) is stored as the pseudonym of that person's subject; the name lives only
in the subject's row (`label`), so erasing the subject makes it read "slettet" too.

Whose is a field: a company name is the company's (by CVR, or by name where a short course has no
CVR); a consultant's name is the consultant's; free-text evidence is its author's (the user who
logged it, `recorded_by`), since it says what they wrote. Events stored before sealing have no
envelope and read as they were stored.
"""

from __future__ import annotations

import base64
import itertools
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ERASED = "slettet"  # what an erased field reads, on every route
SEALED = "sealed"
Kind = Literal["company", "consultant"]
Owner = Literal["company", "consultant", "author"]
# Event type → its personal fields and whose each one is.
PERSONAL: dict[str, dict[str, Owner]] = {
    "course.completed": {"company_name": "company", "consultant": "consultant"},
    "staff.designated": {"consultant": "consultant"},
    "milestone.reached": {"evidence": "author"},
}
# The pseudonym in clear beside a sealed field (evidence has its author's, `recorded_by`): the fold
# reads `consultant` from `consultant_ref`, the history finds a company without CVR by `company_ref`.
REFS: dict[str, str] = {"consultant": "consultant_ref", "company_name": "company_ref"}
FOLD_FIELDS: dict[str, str] = {"consultant_ref": "consultant"}
REF_KEYS = frozenset(REFS.values())


class Identity(NamedTuple):
    """A data subject as the log names it: its kind and its normalised identifier."""

    kind: Kind
    identifier: str  # "cvr:12345678", "navn:<folded name>" (a company without CVR), "<folded name>"


class Subject(NamedTuple):
    """A subject's pseudonym and key (None: erased)."""

    subject: str
    key: bytes | None


def normalise_name(name: str) -> str:
    """A name as a look-up compares it: whitespace collapsed, case folded ("Æ" and "æ" alike)."""
    return " ".join(name.split()).casefold()


@lru_cache(maxsize=1 << 16)  # bulk imports name the same companies and consultants again and again
def company_identity(cvr: str | None, name: str) -> Identity:
    return Identity("company", f"cvr:{cvr}") if cvr else Identity("company", f"navn:{normalise_name(name)}")


@lru_cache(maxsize=1 << 12)
def consultant_identity(name: str) -> Identity:
    return Identity("consultant", normalise_name(name))


def owners(event_type: str, data: Mapping[str, Any], recorded_by: str) -> dict[str, Identity]:
    """The personal fields present in this data, each with the identity of its subject (the
    appender's own name is not in the data: the store puts their pseudonym in `recorded_by`)."""
    fields = PERSONAL.get(event_type)
    if not fields:
        return {}
    found: dict[str, Identity] = {}
    for field, owner in fields.items():
        value = data.get(field)
        if not isinstance(value, str) or not value:
            continue
        if owner == "company":
            cvr = data.get("company_cvr")
            found[field] = company_identity(cvr if isinstance(cvr, str) else None, value)
        elif owner == "consultant":
            found[field] = consultant_identity(value)
        else:
            found[field] = consultant_identity(recorded_by)
    return found


def label(identity: Identity, name: str) -> str | None:
    """The name a subject row keeps while the subject lives: what `recorded_by` reads as, and what
    the history's search finds (None for a company with a CVR: `company_names` serves those)."""
    if identity.kind == "company" and identity.identifier.startswith("cvr:"):
        return None
    return " ".join(name.split())


def is_pseudonym(value: str) -> bool:
    """Whether a `recorded_by` is a subject's pseudonym (since sealing) rather than a name (before)."""
    return len(value) == 18 and value.startswith("s_") and all(c in "0123456789abcdef" for c in value[2:])


def _aad(subject: str, field: str) -> bytes:
    return f"{subject}/{field}".encode()


# A cipher object per key, made once per process: building one costs more than sealing a field.
_cipher = lru_cache(maxsize=8192)(AESGCM)


class _Nonces:
    """96-bit nonces, unique per key as AES-GCM needs: a random 64-bit prefix per process and a
    32-bit counter (a new prefix before the counter wraps). Cheaper than a random draw per field."""

    def __init__(self) -> None:
        self._renew()

    def _renew(self) -> None:
        self._prefix, self._counter = os.urandom(8), itertools.count()

    def next(self) -> bytes:
        n = next(self._counter)
        if n >= 1 << 32:
            self._renew()
            n = next(self._counter)
        return self._prefix + n.to_bytes(4, "big")


_nonces = _Nonces()


Memo = dict[tuple[str, str, str], str]
"""(subject, field, value) → its envelope's `ct`, within one batch (`seal`) or one read (`unseal`)."""


def seal(
    data: Mapping[str, Any], fields: Mapping[str, Identity], subjects: Mapping[Identity, Subject], memo: Memo
) -> dict[str, Any]:
    """The data with the personal `fields` sealed under their subjects' keys (a new dict), each
    value's associated data its subject and field. The same value of the same subject is sealed once
    a batch (`memo`): a consultant's name recurs on every course of a bulk import, and an equal
    ciphertext tells nothing the pseudonym does not. The chain binds each sealed value to its event."""
    if not fields:
        return dict(data)
    out = {k: v for k, v in data.items() if k not in fields}
    sealed: dict[str, str] = {}
    for field, identity in fields.items():
        subject, key = subjects[identity]
        if key is None:
            raise ValueError(f"subject {subject} is erased; a new subject is made for new events")
        ref = REFS.get(field)
        if ref is not None:
            out[ref] = subject
        value = data[field]
        ct = memo.get((subject, field, value))
        if ct is None:
            nonce = _nonces.next()
            encrypted = _cipher(key).encrypt(nonce, orjson.dumps(value), _aad(subject, field))
            ct = memo[(subject, field, value)] = base64.b64encode(nonce + encrypted).decode()
        sealed[field] = ct
    out[SEALED] = sealed
    return out


def subject_of(field: str, data: Mapping[str, Any], author: str) -> str:
    """The pseudonym whose key opens a sealed field: its `…_ref`, or for evidence its author's."""
    ref = REFS.get(field)
    return str(data[ref]) if ref is not None else author


def sealed_subjects(data: Mapping[str, Any]) -> list[str]:
    """The subjects of the sealed fields that have a `…_ref` (a reader adds `recorded_by`, the
    author, itself); none for data stored before sealing."""
    sealed = data.get(SEALED)
    if not isinstance(sealed, dict):
        return []
    return [str(data[REFS[field]]) for field in sealed if field in REFS]


def unseal(
    data: dict[str, Any], keys: Mapping[str, bytes | None], author: str, memo: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The data as it was logged, each field of an erased subject (no key) reading "slettet";
    `author` is the event's stored `recorded_by`. `memo` (ciphertext → value) lets a page or batch
    open each distinct sealed value once."""
    sealed = data.get(SEALED)
    if not isinstance(sealed, dict):
        return data
    out = {k: v for k, v in data.items() if k != SEALED and k not in REF_KEYS}
    for field, ct in sealed.items():
        subject = subject_of(field, data, author)
        key = keys.get(subject)
        if key is None:
            out[field] = ERASED
        elif memo is not None and ct in memo:
            out[field] = memo[ct]
        else:
            raw = base64.b64decode(ct)
            out[field] = orjson.loads(_cipher(key).decrypt(raw[:12], raw[12:], _aad(subject, field)))
            if memo is not None:
                memo[ct] = out[field]
    return out


def for_fold(data: dict[str, Any]) -> dict[str, Any]:
    """The data as the fold reads it, without opening anything: a consultant is their pseudonym,
    the other sealed fields are absent (the fold reads none of them). Changes `data` in place —
    the replay's own freshly decoded dict, one per event of the log, so no copy is made."""
    if data.pop(SEALED, None) is None:
        return data
    for ref in REF_KEYS:
        value = data.pop(ref, None)
        field = FOLD_FIELDS.get(ref)
        if field is not None and value is not None:
            data[field] = value
    return data
