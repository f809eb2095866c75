"""A day's cover lists up to 60 appointments in one table: a long day is not refused for its length."""

from __future__ import annotations

import datetime as dt

from conftest import REPO, page_texts

from patientdocs.load.config import load_config
from patientdocs.render.pipeline import Pipeline


def test_a_cover_part_of_sixty_long_rows_is_made() -> None:
    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=dt.date(2026, 12, 1))
    rows = [{"date": dt.date(2026, 12, 1), "time": f"{8 + i // 6:02d}:{i % 6 * 10:02d}",
             "patient": f"Aoife Ní Bhriain-Fitzgerald {i}", "patient_id": f"RP-{20000 + i}",
             "therapist": "Dana Whitfield", "documents": ["info", "consent", "aftercare"], "consent_again": ""}
            for i in range(120)]
    parts = list(pipeline.cover_parts(dt.date(2026, 12, 1), rows, [], treatment="dry-needling", language="en"))
    assert len(parts) == 2
    text = " ".join(t for part in parts for t in page_texts(part))
    assert "Aoife Ní Bhriain-Fitzgerald 0" in text and "Aoife Ní Bhriain-Fitzgerald 119" in text
