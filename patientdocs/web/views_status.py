"""Status: the program's and the content's versions, review dates (expiring content shown well
before it expires), and the result of ``validate``."""

from __future__ import annotations

from flask import Blueprint

from patientdocs.web.app import audit, config, page

pages = Blueprint("status", __name__)
WARN_DAYS = 60  # content due for review within this many days is shown in warning colours


def _status():
    from patientdocs import __version__
    from patientdocs.usecases.status import content_status

    return {"version": __version__, "content": content_status(config()), "warn_days": WARN_DAYS}


@pages.get("/status")
def status():
    return page("status.html", checks=None, **_status())


@pages.post("/status/validate")
def validate():
    from patientdocs.usecases.status import validate_all

    checks = validate_all(config())
    audit("validated", "ok" if all(c.ok for c in checks) else "problems")
    return page("status.html", checks=checks, **_status())
