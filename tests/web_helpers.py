"""Shared by the web page's tests: a private project in a temporary folder with staff accounts,
the Flask app over it, logging in, the CSRF token of a page, and an SMTP section for the test server."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import yaml
from conftest import REPO, cli, copy_project
from pypdf import PdfReader

from patientdocs.load.config import load_config
from patientdocs.web.accounts import add_user

DAY_LIST = REPO / "examples" / "appointments-2026-12-01.csv"
PASSWORDS = {"ana": "ana-front-desk-2026", "ben": "ben-therapist-2026"}


def make_project(folder: Path, *, smtp_port: int | None = None) -> Path:
    """config.yaml, content and templates in ``folder``, with the accounts of PASSWORDS."""
    config_path = copy_project(folder)
    if smtp_port is not None:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        data["email"]["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                                 "from": data["email"]["smtp"]["from"], "timeout": 5, "retries": 1}
        config_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    config = load_config(config_path)
    for name, password in PASSWORDS.items():
        add_user(config, name, password)
    return config_path


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def login(client, name: str = "ana", password: str | None = None):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": name, "password": password or PASSWORDS[name],
                                       "csrf_token": token(page)})


def text(response) -> str:
    """The page's visible text, one line, entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def beside(response, field: str) -> str:
    """The error shown beside one field (its element id is e-FIELD)."""
    found = re.search(rf'<p class="error" id="e-{field}">(.*?)</p>', response.get_data(as_text=True), flags=re.S)
    return html.unescape(found.group(1)) if found else ""


def packet_pages(project: Path, patient: dict[str, str]) -> int:
    """The packet's pages from its documents, each made alone (in a copy of the project, so its
    records stay untouched): the information sheet and the two consent copies, each starting on a
    front side when the clinic prints double-sided (the rule of tests/test_packet.py)."""
    alone = project.parent / "alone"
    copy_project(alone)
    shutil.copy2(project, alone / "config.yaml")
    options = [f"--{k.replace('_', '-')}={v}" for k, v in patient.items() if k != "language"]
    sizes = []
    for kind in ("info", "consent"):
        one_sided = ("--no-duplex",) if kind == "consent" else ()  # the copies without their blanks
        made = cli(kind, "--config", alone / "config.yaml", *options, *one_sided, "-o", alone / f"{kind}.pdf",
                   cwd=alone)
        assert made.returncode == 0, made.stderr
        sizes.append(len(PdfReader(alone / f"{kind}.pdf").pages))
    info, consent = sizes[0], sizes[1] // 2
    if not load_config(project).document.duplex:
        return info + 2 * consent
    return info + info % 2 + consent + consent % 2 + consent  # no blank after the last
