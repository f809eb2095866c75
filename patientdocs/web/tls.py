"""TLS for serving other computers: the clinic's own certificate, or a self-signed one made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from patientdocs.errors import PatientDocsError


def self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    """A certificate for ``host`` (and localhost) and its key, made once and kept in ``folder``
    (the key readable only by this account). Browsers warn about it until it is trusted."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from patientdocs.deliver.output import atomic_write, ensure_folder

    cert_path, key_path = folder / "web-cert.pem", folder / "web-key.pem"
    if cert_path.is_file() and key_path.is_file():
        return cert_path, key_path
    ensure_folder(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    atomic_write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise PatientDocsError(f"cannot use the certificate '{cert}' with the key '{key}' ({exc})") from None
    return context
