"""Who is logged in: sessions kept on the server, so logging out or 15 minutes idle ends one at
once (a copied cookie is worthless afterwards), and one person's session never ends another's."""

from __future__ import annotations

import secrets
import threading
import time

from patientdocs.frozen import frozen


@frozen
class Login:
    username: str
    last_seen: float


class Sessions:
    def __init__(self, idle_seconds: float):
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._by_id: dict[str, Login] = {}

    def start(self, username: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._by_id[sid] = Login(username, time.monotonic())
        return sid

    def touch(self, sid: str | None) -> tuple[str | None, bool]:
        """(username, timed_out): the session's user, seen now; None when there is none (any more)."""
        if not sid:
            return None, False
        now = time.monotonic()
        with self._lock:
            login = self._by_id.get(sid)
            if login is None:
                return None, False
            if now - login.last_seen > self.idle_seconds:
                del self._by_id[sid]
                return login.username, True
            self._by_id[sid] = Login(login.username, now)
            return login.username, False

    def end(self, sid: str | None) -> None:
        with self._lock:
            self._by_id.pop(sid or "", None)
