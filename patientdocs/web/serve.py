"""``generate.py serve``: the page on this computer (127.0.0.1), or over TLS for the clinic's network."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from patientdocs.errors import PatientDocsError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(config_path: Path, *, host: str = "127.0.0.1", port: int = 8080, cert: Path | None = None,
                key: Path | None = None, self_signed: bool = False, idle_seconds: float | None = None):
    """The server, ready to ``serve_forever()``; its address is ``server.url``."""
    from werkzeug.serving import make_server as werkzeug_server

    from patientdocs.load.config import load_config
    from patientdocs.web import tls
    from patientdocs.web.accounts import list_users
    from patientdocs.web.app import IDLE_SECONDS, create_app

    config = load_config(config_path)  # bad settings stop here, with their line
    if (cert is None) != (key is None):
        raise PatientDocsError("give both --cert and --key (the clinic's certificate and its private key)")
    context = None
    if cert is not None and key is not None:
        context = tls.server_context(cert, key)
    elif self_signed:
        made_cert, made_key = tls.self_signed(config.source.parent / "tls", host)
        context = tls.server_context(made_cert, made_key)
    if not is_loopback(host) and context is None:
        raise PatientDocsError(f"--host {host} serves other computers: that needs TLS. Give the clinic's "
                               "certificate with --cert FILE --key FILE, or add --self-signed to make one")
    if not list_users(config.records_path):
        raise PatientDocsError("no staff accounts yet: add one for each person with "
                               "'python generate.py users add NAME', then start the page again")
    app = create_app(config_path, tls=context is not None,
                     idle_seconds=IDLE_SECONDS if idle_seconds is None else idle_seconds)
    try:
        server = werkzeug_server(host, port, app, threaded=True, ssl_context=context)
    except OSError as exc:
        raise PatientDocsError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None
    scheme = "https" if context is not None else "http"
    shown_host = f"[{host}]" if ":" in host else host
    server.url = f"{scheme}://{shown_host}:{server.server_port}/"  # type: ignore[attr-defined]
    server.app = app  # type: ignore[attr-defined]
    return server


def serve(config_path: Path, say: Callable[[str], None], **options) -> None:
    server = make_server(config_path, **options)
    say(f"The front desk's page: {server.url}  (Ctrl-C stops it)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
