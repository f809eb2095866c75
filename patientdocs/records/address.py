"""A PostgreSQL server's address (``records.url``): checked when the settings load, shown safely.

Parsed with the standard library only: psycopg is imported when a connection is made, never by
loading the settings.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

SCHEMES = ("postgresql", "postgres")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def problems(url: str | None, password_env: str | None) -> list[str]:
    """What is wrong with the records section, as ``key: message`` lines."""
    found: list[str] = []
    if password_env is not None and not _ENV_NAME.fullmatch(password_env):
        found.append(f"password_env: '{password_env}' is not the name of an environment variable")
    if url is None:
        if password_env is not None:
            found.append("password_env: is set but records.url is not; add the server's address")
        return found
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        found.append("url: must start with postgresql:// (the records of one clinic stay in the SQLite file "
                     "of paths.records)")
        return found
    if parts.password is not None:
        # A settings file is copied, mailed and backed up: a password in it leaks with it.
        found.append("url: must not hold the password; put it in an environment variable and name that "
                     "variable in records.password_env")
    if "password" in parse_qs(parts.query):
        found.append("url: must not hold the password (password=...); name an environment variable in "
                     "records.password_env instead")
    if not parts.path.strip("/"):
        found.append("url: name the database after the server, like postgresql://clinic@db.example.org/records")
    return found


def shown(url: str) -> str:
    """The database as messages show it, ``'records' on db.example.org:5432``: never a password."""
    parts = urlsplit(url.strip())
    host = parts.hostname or parse_qs(parts.query).get("host", ["this computer"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"'{parts.path.strip('/')}' on {host}{port}"


def password(password_env: str | None) -> str | None:
    """The password from the environment variable named in the settings; None when none is named."""
    if not password_env:
        return None
    from patientdocs.errors import PatientDocsError

    value = os.environ.get(password_env)
    if value is None:
        raise PatientDocsError(f"records.password_env: the environment variable {password_env} is not set; "
                               "set it to the records database password")
    return value
