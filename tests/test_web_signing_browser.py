"""Signing on a tablet in a real headless Chromium: the patient signs with a finger (synthetic touch
pointer events), the therapist with a mouse; the signed PDF carries both drawings and the seal.
Fails, never skips, without the browser (CI installs it)."""

from __future__ import annotations

import subprocess
import sys

from pypdf import PdfReader
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.interaction import POINTER_TOUCH
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from test_web_browser import button, chrome, open_page, shot, site, type_into, wait_for_text  # noqa: F401 (fixtures)

from patientdocs.load.config import load_config


def touch_signature(driver, canvas) -> None:
    """A finger drawing a stroke across the pad, as a tablet sends it."""
    finger = PointerInput(POINTER_TOUCH, "finger")
    actions = ActionBuilder(driver, mouse=finger)
    actions.pointer_action.move_to(canvas, -200, 20).pointer_down()
    for x, y in ((-120, -30), (-40, 30), (40, -25), (120, 20), (200, -10)):
        actions.pointer_action.move_to(canvas, x, y)
    actions.pointer_action.pointer_up()
    actions.perform()


def mouse_signature(driver, canvas) -> None:
    ActionChains(driver).move_to_element_with_offset(canvas, -150, 0).click_and_hold() \
        .move_by_offset(100, -30).move_by_offset(100, 40).move_by_offset(100, -20).release().perform()


def test_a_consent_signed_with_a_finger_and_countersigned(site, chrome) -> None:  # noqa: F811 (the fixtures)
    server, _, folder = site
    driver, _ = chrome
    open_page(driver, server.url, "sign")
    for field, value in (("patient", "Ana Lima"), ("dob", "1990-05-02"), ("patient_id", "P-1042")):
        type_into(driver, field, value)
    button(driver, "Hand the tablet to the patient").click()
    wait_for_text(driver, "Questions about your health", 20)
    type_into(driver, "dob_confirmed", "1990-05-02")
    for radio in driver.find_elements(By.CSS_SELECTOR, "input[type=radio][value=no]"):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", radio)
        radio.click()
    pads = {block.get_attribute("data-signer"): block for block in driver.find_elements(By.CSS_SELECTOR,
                                                                                         "[data-signer]")}
    patient, therapist = pads["patient"], pads["therapist"]
    patient.find_element(By.CSS_SELECTOR, "input[name=patient_name]").send_keys("Ana Lima")
    canvas = patient.find_element(By.TAG_NAME, "canvas")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    touch_signature(driver, canvas)
    therapist.find_element(By.CSS_SELECTOR, "input[name=therapist_name]").send_keys("Sam Patel")
    canvas = therapist.find_element(By.TAG_NAME, "canvas")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    mouse_signature(driver, canvas)
    shot(driver, "sign-tablet")
    button(driver, "Sign and save").click()
    wait_for_text(driver, "The consent is signed", 30)
    assert "The file carries the clinic's seal." in driver.find_element(By.TAG_NAME, "body").text
    shot(driver, "sign-done")
    out = load_config(folder / "config.yaml").output_dir
    (signed,) = out.glob("*-signed.pdf")
    reader = PdfReader(signed)
    drawn = [image for page in reader.pages[:-1] for image in page.images]
    assert len(drawn) == 2  # the patient's and the therapist's drawings, on the form itself
    last = " ".join(reader.pages[-1].extract_text().split())
    assert "Patient Ana Lima signed by hand on the screen" in last
    assert "Therapist Sam Patel signed by hand on the screen" in last
    verdict = subprocess.run([sys.executable, "generate.py", "verify", str(signed), "--config",
                              str(folder / "config.yaml")], capture_output=True, text=True, check=False)
    assert verdict.returncode == 0 and verdict.stdout.startswith("SEALED AND UNCHANGED"), verdict.stdout
