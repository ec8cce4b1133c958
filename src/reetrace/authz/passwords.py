"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

import functools
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from reetrace.errors import Detail, invalid

MIN_LENGTH = 10


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise invalid("the password is too short", Detail(f"at least {MIN_LENGTH} characters", "password"),
                      code="weak_password")
    if password.lower() == password or password.upper() == password or not any(c.isdigit() for c in password):
        raise invalid("the password is too simple",
                      Detail("mix upper- and lower-case letters and at least one digit", "password"),
                      code="weak_password")


class Passwords:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile), or a cheap profile for tests."""

    def __init__(self, cost: str = "default") -> None:
        if cost == "low":
            self._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        elif cost == "default":
            self._hasher = PasswordHasher()
        else:
            raise invalid(f"password cost must be 'default' or 'low', not {cost!r}", code="bad_setting")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Constant work whether or not the user exists, so timing does not reveal usernames."""
        try:
            return self._hasher.verify(stored_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    @functools.cached_property
    def _dummy(self) -> str:
        return self._hasher.hash(os.urandom(16).hex())
