"""The records as a FHIR R4 transaction Bundle that a patient's electronic health record can import.

One DocumentReference per document (a kind of document in a PDF file): the PDF itself as the
attachment, with its size and SHA-1 hash as FHIR asks (base64), its SHA-256 as recorded here,
the patient's identifier, the day it was made and of the visit, the kind, the language and the
content version. A signed consent adds a Consent resource pointing at its DocumentReference.

The JSON is written here directly from the records: a FHIR model library costs about 180 ms to
import and pulls in pydantic, so it is used only by the tests, to check what is written. Each
entry is a conditional create (``ifNoneExist`` on the document's identifier): importing the same
bundle twice does not file a document twice.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# Made once from a fixed name: the same document always gets the same identifier, on every export.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:patientdocs:document")
LOINC = "http://loinc.org"
KIND_SYSTEM = "urn:patientdocs:document-kind"
CONTENT_VERSION = "urn:patientdocs:content-version"
FINGERPRINT = "urn:patientdocs:fingerprint"
SHA256 = "urn:patientdocs:sha256"
# LOINC 59284-0 "Consent Document" is the one kind with a code everyone shares; every other kind is
# named in this program's own code system (its name in the kinds registry, and its label).
LOINC_TYPES = {"consent": ("59284-0", "Consent Document")}


def document_id(sha256: str, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{sha256}/{kind}')}"


def _subject(row: Mapping[str, Any], patient_system: str) -> dict[str, Any]:
    subject: dict[str, Any] = {"display": row["patient_name"]}
    if row.get("patient_id"):
        subject["identifier"] = {"system": patient_system, "value": row["patient_id"]}
    return subject


def document_reference(row: Mapping[str, Any], pdf: bytes, label: str, patient_system: str) -> dict[str, Any]:
    kind = str(row["kind"])
    coding = [{"system": KIND_SYSTEM, "code": kind, "display": label}]
    if kind in LOINC_TYPES:
        code, display = LOINC_TYPES[kind]
        coding.insert(0, {"system": LOINC, "code": code, "display": display})
    attachment: dict[str, Any] = {
        "contentType": "application/pdf",
        "language": row["language"],
        "data": base64.b64encode(pdf).decode("ascii"),
        "size": len(pdf),
        "hash": base64.b64encode(hashlib.sha1(pdf).digest()).decode("ascii"),  # FHIR's Attachment.hash is SHA-1
        "title": f"{label} ({row['treatment']}, content version {row['content_version']})",
        "creation": row["created_at"],
    }
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "extension": [{"url": CONTENT_VERSION, "valueString": row["content_version"]},
                      {"url": FINGERPRINT, "valueString": row["fingerprint"]}],
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": document_id(str(row["sha256"]), kind)},
                       {"system": SHA256, "value": row["sha256"]}],
        "status": "current",
        "docStatus": "final",
        "type": {"coding": coding, "text": label},
        "subject": _subject(row, patient_system),
        "date": row["created_at"],
        "description": f"{label}, content version {row['content_version']}",
        "content": [{"attachment": attachment}],
    }
    if row.get("visit_date"):
        resource["context"] = {"period": {"start": row["visit_date"]}}
    return resource


def consent(row: Mapping[str, Any], signed_at: str, patient_system: str) -> dict[str, Any]:
    """A signed consent form as a Consent resource, pointing at the form's DocumentReference."""
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment",
                              "display": "Treatment"}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0", "display": "Consent Document"}]}],
        "patient": _subject(row, patient_system),
        "dateTime": signed_at,
        "sourceReference": {"reference": document_id(str(row["sha256"]), str(row["kind"]))},
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
        "provision": {"type": "permit"},
    }


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    kind = resource["resourceType"]
    request: dict[str, Any] = {"method": "POST", "url": kind}
    if kind == "DocumentReference":
        request["ifNoneExist"] = f"identifier=urn:ietf:rfc:3986|{full_url}"
    return {"fullUrl": full_url, "resource": resource, "request": request}


def bundle(documents: Sequence[tuple[Mapping[str, Any], bytes]], *, label: Callable[[str], str], patient_system: str,
           signatures: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The transaction Bundle of these (record, PDF bytes) pairs; ``signatures`` maps a consent form's
    SHA-256 to when it was signed."""
    entries = []
    for row, pdf in documents:
        full_url = document_id(str(row["sha256"]), str(row["kind"]))
        entries.append(_entry(full_url, document_reference(row, pdf, label(str(row["kind"])), patient_system)))
        signed_at = (signatures or {}).get(str(row["sha256"]))
        if row["kind"] == "consent" and signed_at:
            consent_url = f"urn:uuid:{uuid.uuid5(NAMESPACE, 'consent/' + str(row['sha256']))}"
            entries.append(_entry(consent_url, consent(row, signed_at, patient_system)))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
