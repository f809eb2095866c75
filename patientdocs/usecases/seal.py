"""Make a demo seal certificate for trying the clinic's seal out (``seal-init``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from patientdocs.errors import PatientDocsError
from patientdocs.frozen import frozen

if TYPE_CHECKING:
    from patientdocs.load.config import Config

__all__ = ["DemoSeal", "make_demo_seal"]

DEFAULT_CERT = Path("certs/demo-seal.cert.pem")
DEFAULT_KEY = Path("certs/demo-seal.key.pem")


@frozen
class DemoSeal:
    certificate: Path
    key: Path
    made: bool  # False: a valid demo certificate was already there and was kept
    days_left: int
    configured: bool  # the settings' seal section names these files


def make_demo_seal(config: Config, *, force: bool = False, days: int = 365) -> DemoSeal:
    """A self-signed certificate and key where ``seal:`` says (or certs/ beside the settings),
    kept when one is already there and valid for 30 days more, unless ``force``."""
    from patientdocs.deliver import seal
    from patientdocs.load.visit import today

    day = today()
    settings = config.seal
    cert = config.resolve(settings.certificate if settings else DEFAULT_CERT)
    key = config.resolve(settings.key if settings else DEFAULT_KEY)
    if settings is not None and settings.key_password_env:
        raise PatientDocsError("seal.key_password_env is set: that is for the clinic's real key; seal-init "
                               "makes an unlocked demo key only. Remove key_password_env to try the demo seal")
    left = seal.demo_certificate_days_left(cert, day)
    if cert.exists() and not force and not _is_demo(cert):
        # The clinic's real certificate: never replaced by a demo one without being asked.
        raise PatientDocsError(f"'{cert}' is not a demo certificate; it was left as it is (use --force to "
                               "replace it with a demo one)")
    if not force and left is not None and left > 30 and key.is_file():
        return DemoSeal(cert, key, False, left, settings is not None)
    seal.make_demo_certificate(config.clinic.name, cert, key, today=day, days=days)
    return DemoSeal(cert, key, True, days, settings is not None)


def _is_demo(cert: Path) -> bool:
    from cryptography import x509

    try:
        subject = x509.load_pem_x509_certificate(cert.read_bytes()).subject.rfc4514_string()
    except (OSError, ValueError):
        return True  # unreadable: nothing worth keeping
    return "DEMO seal" in subject
