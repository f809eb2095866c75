"""A real PostgreSQL server for the tests, in a temporary folder, on a Unix socket only.

Debian's postgresql binaries (/usr/lib/postgresql/<version>/bin, or PG_BIN) are used; the server
refuses to run as root, so as root it runs as the unprivileged user ``nobody``. It listens on no
TCP port (``listen_addresses=''``), has fsync off (a test server), and is stopped at the end.
Local connections are trusted, except for the role ``pdpass``, which must give its password
(SCRAM), to test that the password is taken from the environment.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

PASSWORD_ROLE = "pdpass"
PASSWORD = "correct-horse-battery-staple"
SUPERUSER = "patientdocs"


def pg_bin() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): "
                           "apt-get install postgresql, as .ci/run does")
    return Path(found[-1]).parent


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


class PgServer:
    def __init__(self) -> None:
        self.bin = pg_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="patientdocs-pg-"))
        self.data = self.folder / "data"
        self.socket = self.folder  # the socket file is .s.PGSQL.5432 in here
        self.running = False
        os.chmod(self.folder, 0o755)
        if os.geteuid() == 0:
            os.chown(self.folder, 65534, 65534)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "--no-sync", "-U", SUPERUSER, "-E", "UTF8",
                  "--locale=C.UTF-8")
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\nlocal all all trust\n", encoding="utf-8")
        self.start()
        atexit.register(self.close)  # also stopped if the session ends without its teardown (pytest -x, Ctrl-C)
        self.sql(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}' CREATEDB")

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*_as_server_user(), str(self.bin / tool), *args], capture_output=True, text=True,
                              timeout=120, check=False, env={**os.environ, "LC_ALL": "C.UTF-8"})
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr or done.stdout}")

    def start(self) -> None:
        options = f"-k {self.socket} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                  "-o", options, "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def url(self, database: str, user: str = SUPERUSER) -> str:
        return f"postgresql:///{database}?host={self.socket}&user={user}"

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(host=str(self.socket), dbname=database, user=SUPERUSER, autocommit=True) as conn:
            cursor = conn.execute(statement)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def new_database(self, owner: str = SUPERUSER) -> str:
        name = f"records_{uuid.uuid4().hex[:12]}"
        self.sql(f"CREATE DATABASE {name} OWNER {owner}")
        return name

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            atexit.unregister(self.close)
