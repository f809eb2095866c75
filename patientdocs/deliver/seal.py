"""The clinic's seal: a PAdES signature over the whole PDF, and checking one.

A seal proves, months later and without the clinic's records, that a document came from the clinic
and that nobody changed it since. It is a certification signature that still allows form filling,
so a patient who fills in the health questions does not break it (the check reports that as an
allowed change, not as tampering).

pyHanko costs about 0.4 s to import: it is imported inside the functions here, when a document
is sealed or a sealed document is checked, never by other commands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patientdocs.errors import PatientDocsError

if TYPE_CHECKING:
    from patientdocs.load.config import Config, SealSettings

FIELD = "ClinicSeal"
# Where the stamp sits on page 1 (points from the bottom left): the footer's right-hand corner,
# clear of the text, small enough to stay out of the patient's way.
STAMP_BOX = (400, 8, 580, 30)
DEMO_MARK = "DEMO seal - not for patients"
STAMP_FONT = Path(__file__).resolve().parents[2] / "fonts" / "AtkinsonHyperlegible-Regular.ttf"


class LockedError(Exception):
    """The sealed file is locked with a passphrase, and none was given."""


@dataclass(frozen=True)
class SealCheck:
    status: str  # "SEALED AND UNCHANGED", "CHANGED", "SEAL NOT TRUSTED"
    sealed_by: str
    sealed_at: str
    detail: str = ""


def _load_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PatientDocsError(f"seal.{what}: file '{path}' not found; to try the seal out, make a demo "
                               "certificate with: python generate.py seal-init") from None
    except OSError as exc:
        raise PatientDocsError(f"seal.{what}: cannot read '{path}' ({exc.strerror})") from None


@dataclass(frozen=True)
class Sealer:
    """The clinic's key and certificate, checked and ready to seal."""

    signer: Any  # pyhanko.sign.signers.SimpleSigner
    name: str
    valid_until: dt.date
    demo: bool

    def seal(self, pdf: bytes, *, when: dt.datetime, owner_password: str | None = None) -> bytes:
        return seal_pdf(pdf, self, when=when, owner_password=owner_password)


def load_sealer(config: Config, today: dt.date) -> Sealer:
    """The clinic's sealer, or a one-line error: files missing, wrong key password, expired."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    settings = _settings(config)
    cert_path, key_path = config.resolve(settings.certificate), config.resolve(settings.key)
    cert_pem, key_pem = _load_pem(cert_path, "certificate"), _load_pem(key_path, "key")
    password = None
    if settings.key_password_env:
        value = os.environ.get(settings.key_password_env)
        if not value:
            raise PatientDocsError(f"seal.key_password_env: the environment variable {settings.key_password_env} "
                                   "is not set; set it to the password of the seal's key")
        password = value.encode()
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise PatientDocsError(f"seal.certificate: '{cert_path}' is not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=password)
    except TypeError:
        raise PatientDocsError(f"seal.key: '{key_path}' is locked with a password; set seal.key_password_env "
                               "to the name of the environment variable that holds it") from None
    except ValueError:
        raise PatientDocsError(f"seal.key: cannot open '{key_path}' (wrong password, or not a PEM key)") from None
    # The public halves as DER: the same test as comparing public_numbers(), which
    # Ed25519/Ed448 keys do not have.
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise PatientDocsError(f"seal.key: '{key_path}' does not belong to the certificate '{cert_path}'")
    if cert.not_valid_after_utc.date() < today:
        raise PatientDocsError(f"seal.certificate: '{cert_path}' expired on {cert.not_valid_after_utc.date()}; "
                               "install the clinic's new certificate (or make a demo one: python generate.py "
                               "seal-init --force)")
    if cert.not_valid_before_utc.date() > today:
        raise PatientDocsError(f"seal.certificate: '{cert_path}' is not valid before "
                               f"{cert.not_valid_before_utc.date()}")
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore(),  # empty: what None gave, but SimpleSigner's hint says a store
    )
    return Sealer(signer, _common_name(cert), cert.not_valid_after_utc.date(), DEMO_MARK in _common_name(cert))


def _settings(config: Config) -> SealSettings:
    if config.seal is None:
        raise PatientDocsError(f"{config.source}: there is no seal section; add one (see the README, 'The clinic's "
                               "seal'), or make a demo certificate with: python generate.py seal-init")
    return config.seal


def _common_name(cert: Any) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def seal_pdf(pdf: bytes, sealer: Sealer, *, when: dt.datetime, owner_password: str | None = None) -> bytes:
    """``pdf`` with the clinic's seal added as an incremental update (the original bytes stay as
    they are). ``when`` is the sealing time written in the signature: with SOURCE_DATE_EPOCH and an
    RSA key (PKCS#1 v1.5 is deterministic) the result is byte-identical run to run. A locked PDF
    (``owner_password``) is sealed inside its encryption, so the patient's reader checks the seal."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if owner_password is not None:
        writer.encrypt(owner_password)
    # pyHanko gives every update a random second /ID; derive it from the input instead, so sealing
    # is reproducible (the first /ID, which encryption keys depend on, stays).
    # pyHanko would rewrite the XMP with only its own fields and a wall-clock ModDate: the
    # document's title, language and pdfuaid (accessibility) and reproducibility would be lost.
    writer._update_meta = lambda: None  # type: ignore[method-assign]
    first_id = writer._document_id[0]
    writer._document_id = generic.ArrayObject([first_id, generic.ByteStringObject(hashlib.sha256(pdf).digest()[:16])])
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, certify=True, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason="Issued by the clinic; unchanged since", name=sealer.name)
    from pyhanko.pdf_utils.text import TextBoxStyle

    # The stamp's text in the documents' own embedded font: a standard font would be the one
    # font of the file that is not embedded.
    text_style = TextBoxStyle(font=_stamp_font_factory()(str(STAMP_FONT)), font_size=6)
    style = TextStampStyle(stamp_text="Sealed by %(signer)s\n%(ts)s", border_width=0,
                           timestamp_format="%Y-%m-%d %H:%M UTC", text_box_style=text_style)
    fields.append_signature_field(writer, fields.SigFieldSpec(FIELD, box=STAMP_BOX, on_page=0))
    _tag_seal_field(writer, f"Clinic seal: sealed by {sealer.name}")
    pdf_signer = _FixedTimeSigner(meta, signer=sealer.signer, stamp_style=style, when=when)
    from pyhanko.pdf_utils.font import api as font_api

    # The stamp font's subset tag is drawn from Python's global random numbers: derive it from
    # the input too (and put the module's own function back afterwards).
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(b"stamp" + pdf).digest()[:6])
    original = font_api.generate_subset_prefix
    font_api.generate_subset_prefix = lambda: tag  # type: ignore[assignment]
    try:
        out = pdf_signer.sign_pdf(writer)
    finally:
        font_api.generate_subset_prefix = original  # type: ignore[assignment]
    return out.getvalue()


def _tag_seal_field(writer: Any, tooltip: str) -> None:
    """Put the seal's widget in the structure tree as a Form element with a tooltip, as every
    field of these tagged documents is: a screen reader announces the seal, and the file stays as
    accessible as before it was sealed. The change is part of what the seal covers."""
    from pyhanko.pdf_utils import generic

    root = writer.root
    widget_ref = next(ref for ref in root["/AcroForm"].raw_get("/Fields")
                      if ref.get_object().get("/T") == FIELD)
    widget = widget_ref.get_object()
    page_ref = writer.find_page_for_modification(0)[0]
    widget["/TU"] = generic.TextStringObject(tooltip)
    tree = root["/StructTreeRoot"]
    key = int(tree.get("/ParentTreeNextKey", 0))
    document_ref = tree.raw_get("/K")
    if isinstance(document_ref, generic.ArrayObject):
        document_ref = document_ref[0]
    document = document_ref.get_object()
    element = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/StructElem"),
        generic.NameObject("/S"): generic.NameObject("/Form"),
        generic.NameObject("/P"): document_ref,
        generic.NameObject("/Alt"): generic.TextStringObject(tooltip),
        generic.NameObject("/K"): generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/OBJR"),
            generic.NameObject("/Obj"): widget_ref,
            generic.NameObject("/Pg"): page_ref,
        }),
    })
    element_ref = writer.add_object(element)
    kids = document.get("/K")
    if isinstance(kids, generic.ArrayObject):
        kids.append(element_ref)
    else:
        document["/K"] = generic.ArrayObject([kids, element_ref] if kids is not None else [element_ref])
    writer.update_container(document)
    parent_tree = tree["/ParentTree"]
    parent_tree["/Nums"].append(generic.NumberObject(key))
    parent_tree["/Nums"].append(element_ref)
    writer.update_container(parent_tree)
    tree["/ParentTreeNextKey"] = generic.NumberObject(key + 1)
    writer.update_container(tree)
    widget["/StructParent"] = generic.NumberObject(key)
    writer.update_container(widget)
    page = page_ref.get_object()
    page["/Tabs"] = generic.NameObject("/S")
    writer.update_container(page)


def _fixed_time_signer_class() -> type:
    from pyhanko.sign import signers

    class FixedTimeSigner(signers.PdfSigner):
        """A signer whose clock is the document's date (SOURCE_DATE_EPOCH), not the wall clock."""

        def __init__(self, *args: Any, when: dt.datetime, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._when = when

        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = self._when
            return session

    return FixedTimeSigner


def _FixedTimeSigner(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - builds the class lazily
    return _fixed_time_signer_class()(*args, **kwargs)


def is_sealed(data: bytes) -> bool:
    """Whether the file carries a signature at all (its /ByteRange is never encrypted)."""
    return b"/ByteRange" in data


def unsealed(data: bytes) -> bytes:
    """The PDF as it was before the clinic's seal was added: the seal is an incremental update, so
    the bytes up to the end of the revision before it are that file, unchanged. Locking a sealed
    file rewrites it and breaks its seal; this is what is locked (and sealed again) instead."""
    import re

    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        seal = next((s for s in reader.embedded_signatures if s.field_name == FIELD), None)
        if seal is None or seal.signed_revision < 1:
            raise PatientDocsError("it does not carry the clinic's seal as an update of the signed form")
        start = reader.xrefs.get_startxref_for_revision(seal.signed_revision - 1)
        end = re.compile(rb"%%EOF(\r\n|\r|\n)?").search(data, start)
        if end is None:
            raise PatientDocsError("its revision before the seal has no end")
        before = data[:end.end()]
        # The cut must be a whole PDF of exactly the revisions before the seal, with no seal in it.
        earlier = PdfFileReader(io.BytesIO(before), strict=False)
        if earlier.xrefs.total_revisions != seal.signed_revision or is_sealed(before):
            raise PatientDocsError("its revision before the seal cannot be told apart")
    except PatientDocsError:
        raise
    except Exception as exc:  # pyHanko raises many kinds on a damaged file
        raise PatientDocsError(f"it cannot be read as a sealed PDF ({type(exc).__name__})") from None
    return before


def check_seal(data: bytes, trusted: list[bytes], *, password: str | None = None) -> SealCheck:
    """Whether the seal in ``data`` is intact, made with a certificate the clinic trusts
    (``trusted``: PEM certificates), and whether anything changed after it was made."""
    import logging

    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    # pyHanko logs a whole traceback for a certificate it cannot trust: the verdict says it.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    roots = []
    for pem_bytes in trusted:
        _, _, der = pem.unarmor(pem_bytes)
        roots.append(asn1_x509.Certificate.load(der))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            if password is None:
                raise LockedError
            from pyhanko.pdf_utils.crypt import AuthStatus

            if reader.decrypt(password).status == AuthStatus.FAILED:
                raise PatientDocsError("the passphrase does not open this file")
        signatures = reader.embedded_signatures
    except (PatientDocsError, LockedError):
        raise
    except Exception as exc:  # pyHanko raises many kinds on a damaged file
        return SealCheck("CHANGED", "?", "?", f"the file cannot be read as a sealed PDF ({type(exc).__name__})")
    if not signatures:
        return SealCheck("CHANGED", "?", "?", "its signature dictionary cannot be read")
    # Ours first; a signature by anyone else is checked the same way (and is then not trusted).
    sig = next((s for s in signatures if s.field_name == FIELD), signatures[0])
    try:
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=False),
                                        diff_policy=_diff_policy())
    except Exception as exc:
        return SealCheck("CHANGED", "?", "?", f"the seal cannot be checked ({type(exc).__name__})")
    signer = status.signing_cert.subject.native.get("common_name", "?")
    when = status.signer_reported_dt.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") \
        if status.signer_reported_dt else "?"
    if not status.intact or not status.valid:
        return SealCheck("CHANGED", signer, when, "bytes covered by the seal were changed")
    coverage = status.coverage.name if status.coverage is not None else ""
    modification = status.modification_level.name if status.modification_level is not None else ""
    if coverage != "ENTIRE_FILE" and not getattr(status, "docmdp_ok", True):
        return SealCheck("CHANGED", signer, when, f"revision {len(signatures) + 1} changes the document in a way "
                                                  "the seal does not allow")
    if not status.trusted:
        return SealCheck("SEAL NOT TRUSTED", signer, when,
                         "the seal was made with a certificate this clinic did not configure")
    detail = ""
    if coverage != "ENTIRE_FILE":
        detail = "form fields were filled in after sealing, which the seal allows" \
            if modification in ("FORM_FILLING", "LTA_UPDATES") else "later additions the seal allows"
    return SealCheck("SEALED AND UNCHANGED", signer, when, detail)


def _diff_policy() -> Any:
    """pyHanko's standard rules for what may change after a seal, plus one: a tagged document's
    fields are also reached from its structure tree (an /OBJR's /Obj), so filling one in is that
    same field update seen from a second path. Only that path is approved here; the change
    itself must still pass the form-filling rules."""
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel, StandardDiffPolicy
    from pyhanko.sign.diff_analysis.rules_api import AbsoluteContext, QualifiedWhitelistRule, ReferenceUpdate

    class StructureTreeObjectReference(QualifiedWhitelistRule):
        def apply_qualified(self, old: Any, new: Any) -> Any:
            old._load_reverse_xref_cache()
            for ref in new.explicit_refs_in_revision():
                for path in old._get_usages_of_ref(ref) or ():
                    steps = tuple(path)
                    if steps[:2] == ("/Root", "/StructTreeRoot") and steps[-1] == "/Obj":
                        yield ModificationLevel.FORM_FILLING, ReferenceUpdate(
                            ref, context_checked=AbsoluteContext(path=path, pdf_handler=old))

    return StandardDiffPolicy(global_rules=[*DEFAULT_DIFF_POLICY.global_rules, StructureTreeObjectReference()],
                              form_rule=DEFAULT_DIFF_POLICY.form_rule)


def trusted_certificates(config: Config) -> list[bytes]:
    """The clinic's own certificate and any earlier ones it lists (``seal.trusted``)."""
    if config.seal is None:
        return []
    found = []
    for path in (config.seal.certificate, *config.seal.trusted):
        try:
            found.append(config.resolve(path).read_bytes())
        except OSError:
            continue  # a seal it cannot match is reported as not trusted, never as unchanged
    return found


def make_demo_certificate(clinic_name: str, cert_path: Path, key_path: Path, *, today: dt.date,
                          days: int = 365) -> None:
    """A self-signed RSA certificate and key for trying the seal, valid ``days`` from ``today``,
    named as a demo so nobody mistakes it for the clinic's real one. Files are private (0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from patientdocs.deliver.output import atomic_write, ensure_folder

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{clinic_name[:40]} ({DEMO_MARK})"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, clinic_name[:64]),
    ])
    start = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    for path in (cert_path, key_path):
        ensure_folder(path.parent)
    atomic_write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def demo_certificate_days_left(cert_path: Path, today: dt.date) -> int | None:
    """Days until a certificate expires, or None if it cannot be read (seal-init then makes one)."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return None
    return (cert.not_valid_after_utc.date() - today).days


def _stamp_font_factory():
    """pyHanko's font engine for the stamp, embedding its few glyphs without TrueType hinting:
    hints (instructions for small sizes on screen) were over half of the subset, 3 KB of every
    seal, for one 6 pt line."""
    from fontTools import subset
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    class _Unhinted(GlyphAccumulator):
        def _extract_subset(self, options=None):  # pyHanko's own options, and no hinting
            options = subset.Options(layout_closure=False, hinting=False)
            options.drop_tables += ["GPOS", "GDEF", "GSUB"]
            super()._extract_subset(options)

    class _Factory(GlyphAccumulatorFactory):
        def create_font_engine(self, writer, obj_stream=None):
            engine = super().create_font_engine(writer, obj_stream)
            engine.__class__ = _Unhinted
            return engine

    return _Factory
