"""Password hashing (argon2id through pwdlib) and the rules a new password must meet. No I/O."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 10
MAX_LENGTH = 200


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    # argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): about 50 ms here.
    # A hash made with other parameters still verifies, and `verify` returns its replacement.
    return PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in Danish; None when it may be used."""
    if len(password) < MIN_LENGTH:
        return f"adgangskoden skal have mindst {MIN_LENGTH} tegn"
    if len(password) > MAX_LENGTH:
        return f"adgangskoden må højst have {MAX_LENGTH} tegn"
    if not password.strip():
        return "adgangskoden må ikke kun bestå af mellemrum"
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, a new hash to store when the stored one used older parameters).

    Without a stored hash the work of one verification is still done, so that the response time
    does not tell whether a user exists or has a password.
    """
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False, None
    try:
        return _hasher().verify_and_update(password, password_hash)
    except UnknownHashError:  # not a hash any of our hashers knows
        return False, None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("ingen bruger har denne adgangskode")
