"""Mail servers for the tests: a real SMTP server (aiosmtpd) on 127.0.0.1, and raw sockets that misbehave.

Every server listens on a free port of 127.0.0.1 only, runs in a daemon thread and is stopped by
``stop()`` (the fixtures in test_mailer.py always call it).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import socket
import ssl
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool


class Handler:
    """Accepts mail and keeps it; can refuse recipients, or answer 4xx to the first few tries."""

    def __init__(self, *, refuse_rcpt: str | None = None, fail_rcpt: int = 0, fail_data: int = 0,
                 temporary_reply: str = "451 4.3.0 try again"):
        self.refuse_rcpt = refuse_rcpt
        self.fail_rcpt = fail_rcpt
        self.fail_data = fail_data
        self.temporary_reply = temporary_reply
        self.rcpt_calls = 0
        self.data_calls = 0
        self.messages: list[Received] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        self.rcpt_calls += 1
        if self.refuse_rcpt:
            return self.refuse_rcpt
        if self.rcpt_calls <= self.fail_rcpt:
            return self.temporary_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.data_calls += 1
        if self.data_calls <= self.fail_data:
            return self.temporary_reply
        self.messages.append(Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            content=envelope.original_content,
            tls=session.ssl is not None,
            authenticated=bool(session.authenticated),
        ))
        return "250 2.0.0 OK queued as TEST1"


class Authenticator:
    """aiosmtpd's AUTH callback accepting exactly one user name and password.

    ``echo``: on a failed login, answer like some real servers do, with the login data the client
    sent (base64) in the error text; ``echoed`` keeps every such answer."""

    def __init__(self, username: str, password: str, *, echo: bool = False):
        self.username = username.encode()
        self.password = password.encode()
        self.calls = 0
        self.echo = echo
        self.echoed: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.calls += 1
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.username and auth_data.password == self.password)
        if ok or not self.echo or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself
        # What the client sent: AUTH PLAIN's one line, or AUTH LOGIN's answer to "Password:".
        sent = b"\0" + auth_data.login + b"\0" + auth_data.password if mechanism == "PLAIN" else auth_data.password
        reply = f"535 5.7.8 Authentication failed for {base64.b64encode(sent).decode('ascii')}"
        self.echoed.append(reply)
        return AuthResult(success=False, handled=False, message=reply)


class MailServer:
    """aiosmtpd on 127.0.0.1.

    ``starttls_context``: offer STARTTLS with this server context and require it before mail;
    ``implicit_tls_context``: TLS from the first byte (as on port 465);
    ``authenticator``: offer AUTH (only after STARTTLS unless ``auth_require_tls`` is False);
    ``auth_exclude``: AUTH mechanisms not to offer (e.g. ``["LOGIN"]`` leaves only PLAIN);
    ``smtputf8``: offer SMTPUTF8 (RFC 6531), which internationalised addresses need.
    """

    def __init__(self, handler: Handler, *, starttls_context: ssl.SSLContext | None = None,
                 implicit_tls_context: ssl.SSLContext | None = None, authenticator: Authenticator | None = None,
                 auth_require_tls: bool = True, auth_exclude: list[str] | None = None, smtputf8: bool = False):
        self.handler = handler
        self.kwargs: dict[str, Any] = {"auth_require_tls": auth_require_tls, "enable_SMTPUTF8": smtputf8}
        if auth_exclude:
            self.kwargs.update(auth_exclude_mechanism=auth_exclude)
        if starttls_context is not None:
            self.kwargs.update(tls_context=starttls_context, require_starttls=True)
        if authenticator is not None:
            self.kwargs.update(authenticator=authenticator)
        self.implicit_tls_context = implicit_tls_context
        self.controller: Controller | None = None
        self.port = 0

    def start(self) -> MailServer:
        for _ in range(5):  # another process may take the free port between asking and binding
            self.port = free_port()
            controller = Controller(self.handler, hostname=HOST, port=self.port, server_hostname="localhost",
                                    ssl_context=self.implicit_tls_context, ready_timeout=5.0, **self.kwargs)
            try:
                controller.start()
            except OSError:
                with contextlib.suppress(Exception):
                    controller.stop(no_assert=True)
                continue
            self.controller = controller
            return self
        raise RuntimeError("no free port for the test mail server")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class RawServer:
    """A TCP server that misbehaves: ``silent`` never answers; ``close`` hangs up at once;
    ``vanish`` speaks SMTP until the whole message is sent, then hangs up without answering it."""

    def __init__(self, behaviour: str):
        assert behaviour in ("silent", "close", "vanish")
        self.behaviour = behaviour
        self.connections = 0
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(8)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> RawServer:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.behaviour == "close":
                conn.close()
            elif self.behaviour == "vanish":
                threading.Thread(target=self._vanish, args=(conn,), daemon=True).start()
            else:
                self._open.append(conn)

    def _vanish(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with contextlib.suppress(OSError), conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 test ESMTP\r\n")
            for line in lines:
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250 test\r\n")
                elif command.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                    conn.sendall(b"250 OK\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    for body in lines:
                        if body == b".\r\n":
                            return  # the whole message arrived: hang up before saying whether it is taken
                else:
                    conn.sendall(b"500 what\r\n")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._open:
            conn.close()
        self._sock.close()
