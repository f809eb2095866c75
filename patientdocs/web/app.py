"""The Flask application: security settings, login, and the pages (views_*.py) over the use cases."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from patientdocs.errors import PatientDocsError
from patientdocs.web.accounts import Throttle, account_exists, password_ok
from patientdocs.web.jobs import Jobs
from patientdocs.web.sessions import Sessions

IDLE_SECONDS = 15 * 60
MAX_UPLOAD = 25 * 1024 * 1024  # a day's list or a PDF to verify; far beyond any the tool makes

# No inline script or style anywhere: every script and style sheet is a file served from here.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PUBLIC = {"login", "login_post", "static", "brand_css"}


def create_app(config_path: Path, *, tls: bool = False, idle_seconds: float = IDLE_SECONDS) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # a new key per start: a restart logs everyone out
        SESSION_COOKIE_NAME="patientdocs",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=tls,
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
        # The Referer check Flask-WTF makes over HTTPS would refuse every form: the page sends no
        # referrer (Referrer-Policy), and SameSite=Strict with the token already stops other sites.
        WTF_CSRF_SSL_STRICT=False,
        PATIENTDOCS_CONFIG=Path(config_path),
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    CSRFProtect(app)
    app.extensions["patientdocs.sessions"] = Sessions(idle_seconds)
    # Per account after 3 wrong passwords; per computer only after 10, so one person's typing
    # does not lock out everyone at a shared front-desk computer.
    app.extensions["patientdocs.throttle"] = (Throttle(free=3), Throttle(free=10))
    app.extensions["patientdocs.jobs"] = Jobs()

    from patientdocs.web import views_day, views_patient, views_records, views_session, views_sign, views_status

    for module in (views_day, views_patient, views_records, views_session, views_sign, views_status):
        app.register_blueprint(module.pages)
    _security(app)
    _login_pages(app)
    _errors(app)
    return app


# --- helpers the views share ---------------------------------------------------------------------------------


def config():
    """The clinic's settings, read for each request (an edit to config.yaml takes effect at once)."""
    from flask import current_app

    from patientdocs.load.config import load_config

    if "config" not in g:
        g.config = load_config(current_app.config["PATIENTDOCS_CONFIG"])
    return g.config


def audit(action: str, detail: str = "") -> None:
    """Record who did what; ``detail`` holds ids and counts, never a patient's name or date of birth."""
    from patientdocs.records.store import Records

    records = Records(config().records_path)
    try:
        records.log_action(g.get("user"), request.remote_addr, action, detail)
    finally:
        records.close()


def page(template: str, status: int = 200, **values: Any):
    return render_template(template, **values), status


# --- security ------------------------------------------------------------------------------------------------


def _security(app: Flask) -> None:
    sessions: Sessions = app.extensions["patientdocs.sessions"]

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC:
            return None
        user, timed_out = sessions.touch(session.get("sid"))
        if timed_out:
            g.user = user
            audit("idle-timeout")
            g.user = None
            session.pop("sid", None)
            return redirect(url_for("login", why="idle"))
        if user is not None and not account_exists(config().records_path, user):
            sessions.end(session.get("sid"))  # the account was removed (users remove): out at once
            user = None
        if user is None:
            # Never clear the whole session here: a browser's own request (the favicon) would
            # wipe the login form's CSRF token.
            session.pop("sid", None)
            return redirect(url_for("login"))
        g.user = user
        return None

    @app.after_request
    def headers(response):
        if response.mimetype != "application/pdf":
            # Not on a PDF: the browser's own PDF viewer is a page of its own that a policy
            # written for ours (no objects, no frames) can stop from showing the file.
            response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.context_processor
    def clinic():
        try:
            name = config().clinic.name
        except PatientDocsError:
            name = "patientdocs"
        return {"clinic_name": name, "user": g.get("user")}


def _login_pages(app: Flask) -> None:
    sessions: Sessions = app.extensions["patientdocs.sessions"]
    accounts, computers = app.extensions["patientdocs.throttle"]

    @app.get("/login")
    def login():
        if sessions.touch(session.get("sid"))[0] and not request.args.get("why"):
            return redirect(url_for("day.today"))
        notes = {"idle": "You were logged out after 15 minutes without use. Log in again.",
                 "out": "You are logged out."}
        return page("login.html", note=notes.get(request.args.get("why", "")))

    @app.post("/login")
    def login_post():
        name = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        account, computer = name.casefold(), str(request.remote_addr)
        wait = max(accounts.wait_for(account), computers.wait_for(computer))
        if wait > 0:
            return page("login.html", 429, username=name,
                        error=f"Too many wrong passwords. Wait {int(wait) + 1} seconds, then try again.")
        if not password_ok(config().records_path, name, password):
            accounts.failed(account)
            computers.failed(computer)
            g.user = None
            audit("login-failed", f"account {name[:64]!r}")
            return page("login.html", 401, username=name, error="That name and password do not match an account.")
        accounts.succeeded(account)
        sessions.end(session.get("sid"))
        session.clear()  # a new session (and CSRF token) for the person now logged in
        session["sid"] = sessions.start(name)
        g.user = name
        audit("login")
        return redirect(url_for("day.today"))

    @app.post("/logout")
    def logout():
        audit("logout")
        sessions.end(session.get("sid"))
        session.clear()
        return redirect(url_for("login", why="out"))

    @app.get("/")
    def home():
        return redirect(url_for("day.today"))

    @app.get("/brand.css")
    def brand_css():
        try:
            colour = config().clinic.brand_colour
        except PatientDocsError:
            colour = "#1f5f8b"
        css = f":root {{ --brand: {colour}; --on-brand: {on_colour(colour)}; }}\n"
        return app.response_class(css, mimetype="text/css")


def on_colour(colour: str) -> str:
    """Black or white, whichever reads better on the clinic's colour (WCAG relative luminance)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, gr, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * r + 0.7152 * gr + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def _errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf(exc):
        return page("error.html", 400, title="This form has expired",
                    message="The page was open too long, or it came from somewhere else. Go back, reload the page "
                            "and try again.")

    @app.errorhandler(413)
    def too_large(exc):
        return page("error.html", 413, title="File too large",
                    message=f"Files up to {MAX_UPLOAD // (1024 * 1024)} MB can be sent here.")

    @app.errorhandler(404)
    def not_found(exc):
        return page("error.html", 404, title="Not found", message="There is nothing here.")

    @app.errorhandler(PatientDocsError)
    def settings_problem(exc):
        return page("error.html", 500, title="Problem with the settings", message=str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc):
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            return exc
        if os.environ.get("PATIENTDOCS_DEBUG"):
            raise exc
        # The exception's text may hold patient data: only its type is logged or shown.
        app.logger.error("unexpected problem (%s) on %s", type(exc).__name__, request.path)
        return page("error.html", 500, title="Unexpected problem",
                    message=f"Unexpected problem ({type(exc).__name__}). Files already finished are complete. "
                            "Report it, and run the server with PATIENTDOCS_DEBUG=1 to see details.")


def require_owner(owner: str) -> None:
    if owner != g.get("user"):
        abort(404)
