"""The main process's memory does not grow with the day's length (issue 16): what joining
print-all.pdf and making the cover keep does not depend on the number of packets or rows."""

from __future__ import annotations

import datetime as dt
import gc
import io
import zlib
from pathlib import Path

import pytest
from conftest import REPO

from patientdocs.deliver import printrun
from patientdocs.load.config import load_config
from patientdocs.render.pdf import reuse
from patientdocs.render.pipeline import Pipeline

DAY = dt.date(2026, 12, 1)


def _rows(count: int, start: int = 0) -> list[dict[str, object]]:
    return [{"date": DAY, "time": f"{8 + i // 6 % 10:02d}:{i % 6 * 10:02d}", "patient": f"Seán Ó Briain {i}",
             "patient_id": f"RP-{20000 + i}", "therapist": "Sam Patel", "documents": ["info", "consent"],
             "consent_again": ""} for i in range(start, start + count)]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_config(REPO / "config.yaml"), on_date=DAY)


@pytest.fixture(scope="module")
def tagged(pipeline: Pipeline) -> bytes:
    """A small tagged PDF (a cover part of three rows): a structure tree to join."""
    return next(pipeline.cover_parts(DAY, _rows(3), [], treatment="dry-needling", language="en"))


def _garbage_after_join(parts: list[bytes], tmp_path: Path) -> int:
    """Objects only the garbage collector would free after joining ``parts``."""
    gc.collect()
    gc.disable()
    try:
        printrun.join(parts, tmp_path / "joined.pdf", duplex=True, blank_text="blank")
        return gc.collect()
    finally:
        gc.enable()


def test_joining_leaves_no_cycles_per_packet(tagged: bytes, tmp_path: Path) -> None:
    # Each packet's structure was once collected by a nested function calling itself: a cycle
    # that held the packet's elements (and the file qpdf read) until a full collection.
    few = _garbage_after_join([tagged] * 3, tmp_path)
    many = _garbage_after_join([tagged] * 30, tmp_path)
    assert many - few < 30, (few, many)


def test_the_xref_rows_compressed_in_blocks_are_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = printrun._Writer(io.BytesIO())
    monkeypatch.setattr(printrun._Writer, "_XREF_BLOCK", 7)  # many blocks, one cut mid-pattern
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    for n in range(1, 100):
        if n >= len(writer.offsets):  # 1 to 4 are reserved from the start
            writer._reserve()
        if n % 3:
            writer._at(n, n * 131)
            rows.append(b"\x01" + (n * 131).to_bytes(4, "big") + b"\x00\x00")
        else:
            writer._in_stream(n, 70000 + n // 7, n % 500)
            rows.append(b"\x02" + (70000 + n // 7).to_bytes(4, "big") + (n % 500).to_bytes(2, "big"))
    assert writer.offsets.itemsize == 4
    assert b"".join(writer._xref_rows()) == zlib.compress(b"".join(rows))
    writer._at(4, 3 << 30)  # past 2 GB: the entries widen to 8 bytes and still say the same
    assert writer.offsets.itemsize == 8
    rows[4] = b"\x01" + (3 << 30).to_bytes(4, "big") + b"\x00\x00"
    assert b"".join(writer._xref_rows()) == zlib.compress(b"".join(rows))


def test_a_cover_keeps_nothing_new_in_the_reuse_caches(pipeline: Pipeline) -> None:
    # Its rows are each one patient's: kept, they grew the main process with the day's length.
    list(pipeline.cover_parts(DAY, _rows(70), [], treatment="dry-needling", language="en"))
    before = reuse.kept()
    list(pipeline.cover_parts(DAY, _rows(130, start=500), [], treatment="dry-needling", language="en"))
    assert reuse.kept() == before
