"""The clinic's seal: seal-init, sealed emailed and printed documents, and verify reading the seal.

Every verdict is checked against poppler's pdfsig as well as the tool's own message.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import GENERATE, TODAY, cli, cli_env, copy_project

from patientdocs.deliver.seal import DEMO_MARK, make_demo_certificate

ANA = ("--patient", "Ana Lima", "--dob", "1990-05-02", "--patient-id", "P-1042", "--therapist", "Sam Patel",
       "--date", "2026-12-01")
SEALED_BY = f"Riverside Physio ({DEMO_MARK})"
needs_pdfsig = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils (pdfsig) is not installed")


def set_seal(config: Path, **values: object) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["seal"].update(values)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def emailed(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], bytes | None]:
    """Email the aftercare sheet (dry run); the result and the first attachment's bytes."""
    for old in (folder / "outbox").glob("*.eml"):
        old.unlink()
    result = cli("email", "aftercare", "--to", "ana@example.org", *ANA, "--dry-run", *args, cwd=folder)
    emls = sorted((folder / "outbox").glob("*.eml"))
    if not emls:
        return result, None
    message = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
    return result, part.get_content()


def pdfsig(path: Path, *args: str) -> str:
    return subprocess.run(["pdfsig", *args, str(path)], capture_output=True, text=True, check=False).stdout


def verify(folder: Path, pdf: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return cli("verify", pdf, *args, cwd=folder, input=stdin)


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    copy_project(tmp_path)
    return tmp_path


def test_seal_init_makes_a_private_demo_certificate_for_a_year_and_keeps_a_real_one(tmp_path: Path) -> None:
    from cryptography import x509

    copy_project(tmp_path)
    shutil.rmtree(tmp_path / "certs")
    made = cli("seal-init", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == ("Made a demo seal certificate, valid for 365 days: certs/demo-seal.cert.pem "
                                   "(key: certs/demo-seal.key.pem).")
    cert_path, key_path = tmp_path / "certs/demo-seal.cert.pem", tmp_path / "certs/demo-seal.key.pem"
    assert {cert_path.stat().st_mode & 0o777, key_path.stat().st_mode & 0o777} == {0o600}
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert DEMO_MARK in cert.subject.rfc4514_string()
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 365
    again = cli("seal-init", cwd=tmp_path)
    assert again.stdout.strip() == ("A demo seal certificate is already there, valid for 365 more days: "
                                    "certs/demo-seal.cert.pem.")
    assert cert_path.read_bytes() == cert.public_bytes(__import__("cryptography.hazmat.primitives.serialization",
                                                                   fromlist=["Encoding"]).Encoding.PEM)
    # A clinic's own certificate is never replaced by a demo one unless asked.
    real = _other_certificate(tmp_path / "real", "Riverside Physio")
    shutil.copy(real / "c.pem", cert_path)
    refused = cli("seal-init", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("Error: 'certs/demo-seal.cert.pem' is not a demo certificate; it was left as "
                                      "it is (use --force to replace it with a demo one)")
    assert cert_path.read_bytes() == (real / "c.pem").read_bytes()


def _other_certificate(folder: Path, name: str, *, today: dt.date = TODAY, days: int = 365) -> Path:
    """A certificate and key that are not the clinic's configured ones (c.pem, k.pem)."""
    make_demo_certificate(name, folder / "c.pem", folder / "k.pem", today=today, days=days)
    if name == "Riverside Physio":  # make it look like a real one: no demo mark in its name
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        key = serialization.load_pem_private_key((folder / "k.pem").read_bytes(), None)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(7).not_valid_before(start)
                .not_valid_after(start + dt.timedelta(days=days)).sign(key, hashes.SHA256()))  # type: ignore[arg-type]
        (folder / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder


@needs_pdfsig
def test_an_emailed_attachment_is_sealed_and_verify_and_pdfsig_agree(clinic: Path) -> None:
    result, pdf = emailed(clinic, "--no-encrypt")
    assert result.returncode == 0, result.stderr
    assert pdf is not None
    path = clinic / "document-1.pdf"
    path.write_bytes(pdf)
    sig = pdfsig(path)
    assert "Signature Validation: Signature is Valid." in sig
    assert "Total document signed" in sig
    assert f"Signer Certificate Common Name: {SEALED_BY}" in sig
    checked = verify(clinic, path)
    assert checked.returncode == 0, checked.stderr
    version = re.search(rb"/ContentVersion \(([^)]+)\)", pdf).group(1).decode()  # type: ignore[union-attr]
    assert checked.stdout.strip() == (f"SEALED AND UNCHANGED: document-1.pdf carries the seal of {SEALED_BY}, made "
                                      f"2026-12-01 00:00 UTC; content version {version}.")


@needs_pdfsig
def test_one_changed_byte_is_caught_by_verify_and_by_pdfsig(clinic: Path) -> None:
    _, pdf = emailed(clinic, "--no-encrypt")
    assert pdf is not None
    # A byte of the first page's text (inside the range the seal covers).
    data = bytearray(pdf)
    at = data.index(b"stream", len(data) // 4) + 40
    data[at] ^= 0x01
    path = clinic / "changed.pdf"
    path.write_bytes(bytes(data))
    checked = verify(clinic, path)
    assert checked.returncode == 1
    assert checked.stdout.strip() == (f"CHANGED: changed.pdf carries a seal of {SEALED_BY} (2026-12-01 00:00 UTC), "
                                      "but bytes covered by the seal were changed: it was changed after it was "
                                      "sealed.")
    assert "Signature is Valid" not in pdfsig(path)


def test_a_seal_made_with_another_certificate_is_not_trusted_until_listed(clinic: Path, tmp_path_factory) -> None:
    other = _other_certificate(tmp_path_factory.mktemp("other"), "Somebody Else")
    intruder = copy_project(tmp_path_factory.mktemp("intruder"))
    set_seal(intruder, certificate=str(other / "c.pem"), key=str(other / "k.pem"))
    _, pdf = emailed(intruder.parent, "--no-encrypt")
    assert pdf is not None
    path = clinic / "foreign.pdf"
    path.write_bytes(pdf)
    checked = verify(clinic, path)
    assert checked.returncode == 1
    assert checked.stdout.strip() == (f"SEAL NOT TRUSTED: foreign.pdf is sealed by Somebody Else ({DEMO_MARK}) "
                                      "(2026-12-01 00:00 UTC), a certificate this clinic did not configure "
                                      "(seal.certificate or seal.trusted).")
    set_seal(clinic / "config.yaml", trusted=[str(other / "c.pem")])
    assert verify(clinic, path).stdout.startswith("SEALED AND UNCHANGED: foreign.pdf carries the seal of Somebody")


def test_a_form_filled_in_after_sealing_is_reported_as_allowed_not_as_tampering(clinic: Path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    set_seal(clinic / "config.yaml", documents=["emailed", "printed"])
    made = cli("consent", *ANA, "--fillable", "-o", "form.pdf", cwd=clinic)
    assert made.returncode == 0, made.stderr
    sealed = (clinic / "form.pdf").read_bytes()
    assert verify(clinic, clinic / "form.pdf").stdout.startswith("SEALED AND UNCHANGED: form.pdf")
    # The patient types an answer into a field, saved as an incremental update, as readers do.
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    field = next(ref for ref in writer.root["/AcroForm"].raw_get("/Fields")
                 if ref.get_object().get("/FT") == "/Tx")
    field.get_object()["/V"] = generic.TextStringObject("a note from the patient")
    writer.update_container(field.get_object())
    out = io.BytesIO()
    writer.write(out)
    filled = clinic / "filled.pdf"
    filled.write_bytes(out.getvalue())
    checked = verify(clinic, filled)
    assert checked.returncode == 0, checked.stdout
    assert "SEALED AND UNCHANGED: filled.pdf" in checked.stdout
    assert "(form fields were filled in after sealing, which the seal allows)" in checked.stdout


def test_an_expired_or_missing_certificate_stops_the_email_before_anything_is_made(clinic: Path,
                                                                                   tmp_path_factory) -> None:
    old = _other_certificate(tmp_path_factory.mktemp("old"), "Old seal", today=dt.date(2025, 1, 1), days=30)
    set_seal(clinic / "config.yaml", certificate=str(old / "c.pem"), key=str(old / "k.pem"))
    result, pdf = emailed(clinic)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"Error: seal.certificate: '{old / 'c.pem'}' expired on 2025-01-31; install "
                                     "the clinic's new certificate (or make a demo one: python generate.py "
                                     "seal-init --force)")
    assert pdf is None and not list((clinic / "out").glob("*.pdf"))
    set_seal(clinic / "config.yaml", certificate="certs/none.pem", key="certs/none.key")
    result, _ = emailed(clinic)
    assert result.returncode == 2
    assert result.stderr.strip() == ("Error: seal.certificate: file 'certs/none.pem' not found; to "
                                     "try the seal out, make a demo certificate with: python generate.py seal-init")


@needs_pdfsig
def test_a_locked_attachment_is_sealed_inside_its_encryption(clinic: Path) -> None:
    result, pdf = emailed(clinic)
    assert result.returncode == 0, result.stderr
    passphrase = re.search(r"\b([a-z]+(?:-[a-z]+){4})\b", result.stdout).group(1)  # type: ignore[union-attr]
    assert pdf is not None
    path = clinic / "locked.pdf"
    path.write_bytes(pdf)
    sig = pdfsig(path, "-upw", passphrase)
    assert "Signature Validation: Signature is Valid." in sig and "Total document signed" in sig
    without = verify(clinic, path)
    assert without.returncode == 1  # a dry run records no emailed copy
    assert without.stdout.strip().endswith("It is sealed and locked: run verify --password to check the seal too.")
    opened = verify(clinic, path, "--password", stdin=passphrase + "\n")
    assert opened.returncode == 0, (opened.stdout, opened.stderr)
    assert opened.stdout.strip().startswith("SEALED AND UNCHANGED: locked.pdf carries the seal of")
    wrong = verify(clinic, path, "--password", stdin="not-the-right-one\n")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().endswith("Error: the passphrase does not open this file")


def test_sealing_is_byte_identical_run_to_run_and_keeps_the_file_accessible(clinic: Path) -> None:
    from pdfua import validate

    from patientdocs.render.pdf.checks import accessibility_problems

    _, first = emailed(clinic, "--no-encrypt")
    _, second = emailed(clinic, "--no-encrypt")
    assert first is not None and first == second
    unsealed = cli("aftercare", *ANA, "-o", "plain.pdf", cwd=clinic)
    assert unsealed.returncode == 0
    plain = (clinic / "plain.pdf").read_bytes()
    assert len(first) - len(plain) < 14_000  # the seal, its certificate and the stamp's few glyphs, unhinted
    assert accessibility_problems(first) == []
    path = clinic / "sealed.pdf"
    path.write_bytes(first)
    assert [(f.rule_id, f.message) for f in validate(str(path)).findings] == []
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        assert not [row for row in fonts.splitlines()[2:] if re.search(r"\sno\s+(yes|no)\s+(yes|no)\s+\d+", row)]


def test_commands_that_do_not_seal_never_import_pyhanko(clinic: Path) -> None:
    # A process of its own: what it imports at start-up is the point.
    env = cli_env()
    for args in (("info", *ANA, "-o", "i.pdf"), ("verify", "i.pdf")):
        result = subprocess.run([sys.executable, "-X", "importtime", str(GENERATE), *args], cwd=clinic, env=env,
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr[-500:]
        assert "pyhanko" not in result.stderr and "cryptography" not in result.stderr, args


def test_validate_says_the_demo_seal_is_not_trusted_and_names_a_broken_one(clinic: Path) -> None:
    ok = cli("validate", cwd=clinic)
    assert ok.returncode == 0, ok.stderr
    assert (f"WARNING seal: {SEALED_BY} is a demo certificate (valid until 2027-12-01): readers show its seal as "
            "not trusted; install the clinic's document-signing certificate for real documents") in ok.stdout
    (clinic / "certs/demo-seal.key.pem").write_text("not a key\n", encoding="ascii")
    broken = cli("validate", cwd=clinic)
    assert broken.returncode == 2
    assert "seal.key: cannot open 'certs/demo-seal.key.pem' (wrong password, or not a PEM key)" in \
        broken.stdout + broken.stderr
