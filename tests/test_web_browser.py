"""The front desk's page in a real headless Chromium (Debian's chromium and chromium-driver):
log in, the day's list printed and print-all.pdf downloaded, with JavaScript off and on; one
patient's packet; an aftercare sheet emailed to a real SMTP server; logged out when idle.

These tests FAIL, never skip, when the browser is missing: CI installs it (.ci/run). With
PATIENTDOCS_SCREENSHOTS=1 the main pages are saved under out/screenshots/ for a person to look at.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, TODAY_EPOCH
from pypdf import PdfReader
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from smtp_server import Handler, MailServer
from web_helpers import DAY_LIST, PASSWORDS, make_project, packet_pages

from patientdocs.web.serve import make_server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = REPO / "out" / "screenshots"


class Kept(logging.Handler):
    """Every line the server logs during these tests."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


LOG = Kept()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """The page served on 127.0.0.1 (a free port) over a private project, with a mail server."""
    os.environ["SOURCE_DATE_EPOCH"] = TODAY_EPOCH
    for name in ("werkzeug", "patientdocs.web.app"):
        logging.getLogger(name).addHandler(LOG)
        logging.getLogger(name).setLevel(logging.INFO)
    handler = Handler()
    mail = MailServer(handler).start()
    folder = tmp_path_factory.mktemp("site")
    server = make_server(make_project(folder, smtp_port=mail.port), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler, folder
    server.shutdown()
    mail.stop()
    for name in ("werkzeug", "patientdocs.web.app"):
        logging.getLogger(name).removeHandler(LOG)


def browser(downloads: Path, *, javascript: bool = True) -> webdriver.Chrome:
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "Chromium is needed for these tests: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    prefs = {"download.default_directory": str(downloads), "download.prompt_for_download": False,
             "plugins.always_open_pdf_externally": True}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory):
    downloads = tmp_path_factory.mktemp("downloads")
    driver = browser(downloads)
    yield driver, downloads
    driver.quit()


def shot(driver: webdriver.Chrome, name: str) -> None:
    if os.environ.get("PATIENTDOCS_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / f"{name}.png"))


def body(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def wait_for_text(driver: webdriver.Chrome, words: str, timeout: float = 120) -> None:
    # The page may be loading or reloading itself (the print run's progress) while it is read:
    # Chromium then answers with a stale element or "node does not belong to the document".
    WebDriverWait(driver, timeout, poll_frequency=0.2,
                  ignored_exceptions=(StaleElementReferenceException, NoSuchElementException,
                                      WebDriverException)).until(
        lambda d: words in body(d))


def button(driver: webdriver.Chrome, label: str):
    return driver.find_element(By.XPATH, f"//button[normalize-space()={label!r}]")


def type_into(driver: webdriver.Chrome, field: str, value: str) -> None:
    element = driver.find_element(By.ID, f"f-{field}")
    element.clear()
    element.send_keys(value)


def log_in(driver: webdriver.Chrome, url: str, name: str = "ana") -> None:
    driver.get(url)
    assert driver.current_url.endswith("/login")
    type_into(driver, "username", name)
    type_into(driver, "password", PASSWORDS[name])
    button(driver, "Log in").click()
    wait_for_text(driver, "Today's appointments", 10)


def open_page(driver: webdriver.Chrome, url: str, page: str) -> None:
    """Open ``page`` of the site at ``url``, logging in first when the page asks for it."""
    driver.get(url + page)
    if driver.current_url.endswith("/login"):
        log_in(driver, url)
        driver.get(url + page)


def downloaded(folder: Path, name: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(name) if p.stat().st_size > 0]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded; the folder holds {sorted(p.name for p in folder.iterdir())}")


def test_the_day_printed_with_javascript_off_then_again_with_it_on(site, chrome, tmp_path: Path) -> None:
    server, _, _ = site
    downloads = tmp_path / "plain"
    plain = browser(downloads, javascript=False)
    try:
        plain.get(server.url)
        type_into(plain, "username", "ana")
        type_into(plain, "password", "not-her-password")
        button(plain, "Log in").click()
        wait_for_text(plain, "That name and password do not match an account.", 10)  # not read off the old page
        log_in(plain, server.url)
        shot(plain, "today")
        plain.find_element(By.ID, "f-appointments").send_keys(str(DAY_LIST))
        button(plain, "Check the list").click()
        wait_for_text(plain, "appointments-2026-12-01.csv: 5 to make", 20)
        assert "Nguyễn Thị Minh Khai" in body(plain) and "Smith, John" in body(plain)
        shot(plain, "today-list")
        button(plain, "Make the print run").click()
        wait_for_text(plain, "Done: 5 made.")  # the page reloads itself without JavaScript too
        shot(plain, "print-run-done")
        button(plain, "Download print-all.pdf").click()
        pdf = downloaded(downloads, "print-all.pdf")
        reader = PdfReader(pdf)
        cover = reader.pages[0].extract_text()
        assert "Zoë O'Brien" in cover and "Ana Lima" in cover
        assert len(reader.pages) > 20
    finally:
        plain.quit()
    driver, _ = chrome
    log_in(driver, server.url)  # the same account in another browser: its own session, its own upload
    driver.find_element(By.ID, "f-appointments").send_keys(str(DAY_LIST))
    button(driver, "Check the list").click()
    wait_for_text(driver, "5 to make", 20)
    driver.set_window_size(640, 1000)  # what 200% zoom leaves of a 1280-pixel screen
    try:
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        shot(driver, "today-list-200-percent")
    finally:
        driver.set_window_size(1280, 1000)
    button(driver, "Make the print run").click()
    wait_for_text(driver, "Done: 5 made (5 kept from an earlier run).")  # nothing changed: nothing remade


def test_one_patients_packet(site, chrome) -> None:
    server, _, folder = site
    driver, downloads = chrome
    open_page(driver, server.url, "patient")
    Select(driver.find_element(By.ID, "f-kind")).select_by_value("packet")
    type_into(driver, "patient", "Ana Lima")
    type_into(driver, "dob", "1990-02-30")
    type_into(driver, "patient_id", "P-1042")
    button(driver, "Make and save").click()
    error = WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "e-dob"))
    assert "date of birth '1990-02-30' is not a real date" in error.text
    assert driver.find_element(By.ID, "f-patient").get_attribute("value") == "Ana Lima"  # kept as typed
    shot(driver, "one-patient-error")
    type_into(driver, "dob", "1990-05-02")
    button(driver, "Make and save").click()
    pages = packet_pages(folder / "config.yaml", {"patient": "Ana Lima", "dob": "1990-05-02", "patient_id": "P-1042"})
    wait_for_text(driver, f"Saved 2026-12-01_ana-lima_p-1042_packet.pdf ({pages} pages)", 30)
    shot(driver, "one-patient-saved")
    button(driver, "Download").click()
    assert len(PdfReader(downloaded(downloads, "2026-12-01_ana-lima_p-1042_packet.pdf")).pages) == pages


def test_an_aftercare_sheet_emailed_to_a_real_mail_server(site, chrome) -> None:
    server, handler, _ = site
    driver, _ = chrome
    open_page(driver, server.url, "after-session")
    type_into(driver, "patient", "Ana Lima")
    type_into(driver, "patient_id", "P-1042")
    type_into(driver, "areas", "neck (left)")
    driver.find_element(By.ID, "f-chest-yes").click()
    type_into(driver, "next_visit", "2026-12-08")
    type_into(driver, "to", "ana@example.org")
    shot(driver, "after-session")
    before = len(handler.messages)
    button(driver, "Email it, locked").click()
    wait_for_text(driver, "Sent 1 document to ana@example.org, locked.", 30)
    assert "Passphrase for the patient (shown once):" in body(driver)
    shot(driver, "after-session-sent")
    assert len(handler.messages) == before + 1
    assert handler.messages[-1].rcpt_tos == ["ana@example.org"]


def test_logged_out_when_idle(site, chrome) -> None:
    server, _, _ = site
    driver, _ = chrome
    open_page(driver, server.url, "status")
    shot(driver, "status")
    sessions = server.app.extensions["patientdocs.sessions"]
    sessions.idle_seconds = 1.0
    try:
        time.sleep(1.5)
        driver.get(server.url + "history")
        assert driver.current_url.endswith("/login?why=idle")
        assert "You were logged out after 15 minutes without use." in body(driver)
    finally:
        sessions.idle_seconds = 15 * 60
    log_in(driver, server.url)  # and logging in again works (the favicon did not break the form)



def test_the_server_log_holds_no_patient_data(site) -> None:
    """Run last: every request above is in the log, and no name or date of birth is."""
    assert any("POST /patient" in line for line in LOG.lines) and any("POST /today/run" in line for line in LOG.lines)
    logged = "\n".join(LOG.lines)
    for private in ("Ana", "Lima", "1990-05-02", "O'Brien", "Zo%C3%AB", "Nguy", "Smith", "1984-03-09", "P-1042"):
        assert private not in logged
