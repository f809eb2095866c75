"""Staff accounts: one per person, passwords kept only as argon2 hashes in the records database,
and wrong passwords slowed down per account and per computer."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from patientdocs.errors import PatientDocsError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 10

# A hash of a password nobody has: checking an unknown name costs as long as a known one, so the
# time taken does not tell which accounts exist.
_DUMMY: str | None = None


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_username(name: str) -> str:
    if not NAME.fullmatch(name or ""):
        raise PatientDocsError(f"account name '{name}' must be 1 to 64 letters, digits, '.', '_' or '-', "
                               "starting with a letter or digit", field="username")
    return name


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise PatientDocsError(f"the password must be at least {MIN_PASSWORD} characters long", field="password")
    return password


def add_user(records_path: Path, name: str, password: str) -> bool:
    """Create the account, or set a new password for it; True when it is new."""
    from patientdocs.records.store import Records

    check_username(name)
    check_new_password(password)
    records = Records(records_path)
    try:
        return records.set_password_hash(name, _hasher().hash(password))
    finally:
        records.close()


def remove_user(records_path: Path, name: str) -> None:
    from patientdocs.records.store import Records

    records = Records(records_path)
    try:
        if not records.remove_user(name):
            raise PatientDocsError(f"there is no account '{name}' (see 'users list')", field="username")
    finally:
        records.close()


def account_exists(records_path: Path, name: str) -> bool:
    return name in list_users(records_path)


def list_users(records_path: Path) -> list[str]:
    from patientdocs.records.store import Records

    if not records_path.exists():
        return []
    records = Records(records_path)
    try:
        return records.usernames()
    finally:
        records.close()


def password_ok(records_path: Path, name: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    from patientdocs.records.store import Records

    global _DUMMY
    hasher = _hasher()
    stored = None
    if records_path.exists() and NAME.fullmatch(name or ""):
        records = Records(records_path)
        try:
            stored = records.password_hash(name)
        finally:
            records.close()
    if stored is None:
        _DUMMY = _DUMMY or hasher.hash("no account has this password")
        stored, name = _DUMMY, ""
    try:
        return hasher.verify(stored, password) and bool(name)
    except (VerificationError, InvalidHashError):
        return False


class Throttle:
    """Wrong passwords slowed down: after ``free`` failures for an account or a computer, each
    further try must wait twice as long as the last (1, 2, 4 ... seconds, at most ``longest``)."""

    def __init__(self, free: int = 3, longest: float = 300.0):
        self.free = free
        self.longest = longest
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (failures, may try again at)

    def wait_for(self, key: str) -> float:
        """Seconds to wait before the next try is even checked (0: go ahead)."""
        with self._lock:
            return max(0.0, self._failures.get(key, (0, 0.0))[1] - time.monotonic())

    def failed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            count = self._failures.get(key, (0, 0.0))[0] + 1
            delay = 0.0 if count < self.free else min(self.longest, 2.0 ** (count - self.free))
            self._failures[key] = (count, now + delay)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
