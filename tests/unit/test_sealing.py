"""Sealing personal fields (pure): what is sealed under whose key, opened again, erased, folded."""

from __future__ import annotations

import os
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from ehsj_core.privacy.sealing import (
    ERASED,
    SEALED,
    Subject,
    for_fold,
    is_pseudonym,
    owners,
    seal,
    sealed_subjects,
    unseal,
)

AUTHOR = "s_00000000000000aa"
COURSE = {
    "course_type": "action_plan",
    "company_cvr": "10000009",
    "company_name": "Hansens Tømrer ApS",
    "municipality": "Lolland",
    "consultant": "Jonas Fjeldsø",
}


def sealed_course() -> tuple[dict[str, Any], dict[str, bytes | None]]:
    fields = owners("course.completed", COURSE, "Dorte Direktør")
    subjects = {identity: Subject(f"s_{n:016x}", os.urandom(32)) for n, identity in enumerate(set(fields.values()))}
    keys: dict[str, bytes | None] = {s.subject: s.key for s in subjects.values()}
    return seal(COURSE, fields, subjects, {}), keys


def test_a_course_seals_the_company_name_and_the_consultant_under_two_keys_and_keeps_the_cvr() -> None:
    fields = owners("course.completed", COURSE, "Dorte Direktør")
    assert {f: i.kind for f, i in fields.items()} == {"company_name": "company", "consultant": "consultant"}
    assert fields["company_name"].identifier == "cvr:10000009"
    assert (
        owners("course.completed", {**COURSE, "consultant": "  JONAS   fjeldsø"}, "x")["consultant"]
        == fields["consultant"]
    )
    sealed, _keys = sealed_course()
    assert "company_name" not in sealed and "consultant" not in sealed and sealed["company_cvr"] == "10000009"
    assert len(sealed_subjects(sealed)) == 2 and "Hansens" not in repr(sealed) and "Jonas" not in repr(sealed)
    assert (
        owners("milestone.reached", {"milestone": "8.x", "evidence": "Vedtaget"}, "Karen")["evidence"].identifier
        == "karen"
    )
    assert owners("meeting.held", {"meeting_kind": "kkr", "title": "Møde"}, "Karen") == {}


def test_opened_with_the_keys_it_reads_as_logged_and_without_a_key_the_field_reads_slettet() -> None:
    sealed, keys = sealed_course()
    assert unseal(dict(sealed), keys, AUTHOR) == COURSE
    company = sealed["company_ref"]
    erased = unseal(dict(sealed), {**keys, company: None}, AUTHOR)
    assert erased == {**COURSE, "company_name": ERASED}


def test_a_sealed_field_opens_only_under_its_own_subject_and_field() -> None:
    sealed, keys = sealed_course()
    company, consultant = sealed[SEALED]["company_name"], sealed[SEALED]["consultant"]
    with pytest.raises(InvalidTag):  # another subject's value
        unseal({**sealed, SEALED: {"company_name": consultant}}, keys, AUTHOR)
    with pytest.raises(InvalidTag):  # under its own key, but as another field
        unseal({**sealed, "consultant_ref": sealed["company_ref"], SEALED: {"consultant": company}}, keys, AUTHOR)


def test_the_fold_reads_the_consultant_as_a_pseudonym_and_nothing_sealed() -> None:
    sealed, _keys = sealed_course()
    folded = for_fold(dict(sealed))
    assert folded == {k: v for k, v in COURSE.items() if k != "company_name"} | {"consultant": sealed["consultant_ref"]}
    assert is_pseudonym(str(folded["consultant"])) and not is_pseudonym("Jonas Fjeldsø")
    before_sealing = dict(COURSE)
    assert for_fold(before_sealing) == COURSE and unseal(before_sealing, {}, AUTHOR) == COURSE
