"""Combining marks are drawn over their letter, not beside it: "Ṣẹ̀gun" (ẹ followed by a combining
grave) as a printer would put it on paper. The page is rendered by poppler with and without the
grave; every pixel that differs must lie over the ẹ it belongs to."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, TODAY, render_info

from patientdocs.load.config import load_config
from patientdocs.load.visit import make_visit
from patientdocs.render.pipeline import Pipeline

DPI = 200


def first_page(pdf: bytes, folder: Path, name: str):
    from PIL import Image, ImageChops

    (folder / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-png", "-singlefile",
                    str(folder / f"{name}.pdf"), str(folder / name)], capture_output=True, check=True)
    return Image.open(folder / f"{name}.png").convert("L"), ImageChops


def e_boxes(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """Where each ẹ is drawn on page 1 (PDF points: x0, y0, x1, y1)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    boxes, stack = [], list(next(iter(extract_pages(io.BytesIO(pdf)))))
    while stack:
        item = stack.pop()
        if isinstance(item, LTChar) and item.get_text() == "ẹ":
            boxes.append((item.x0, item.y0, item.x1, item.y1))
        elif hasattr(item, "__iter__"):
            stack.extend(item)
    return boxes


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm")
def test_a_combining_grave_is_printed_over_its_letter(tmp_path: Path) -> None:
    pipeline = Pipeline(load_config(REPO / "config.yaml"), on_date=TODAY)

    def render(name: str) -> bytes:
        return render_info(pipeline, make_visit(patient=name, date="2026-12-01", therapist="Sam Patel")).pdf

    marked, plain = render("Ṣẹ̀gun Àdìgún"), render("Ṣẹgun Àdìgún")
    with_mark, chops = first_page(marked, tmp_path, "marked")
    without, _ = first_page(plain, tmp_path, "plain")
    assert with_mark.size == without.size
    diff = chops.difference(with_mark, without).point(lambda v: 255 if v > 64 else 0)
    box = diff.getbbox()
    assert box is not None, "the grave was not drawn at all"
    boxes = e_boxes(marked)
    assert boxes, "no ẹ found on the first page"
    scale = DPI / 72
    height_pt = with_mark.size[1] / scale
    pixels = diff.load()
    stray = []
    for x in range(box[0], box[2]):
        for y in range(box[1], box[3]):
            if pixels[x, y]:
                px, py = x / scale, height_pt - y / scale
                # over one of the ẹ: within its advance (1 pt of anti-aliasing), up to a line above it
                if not any(x0 - 1 <= px <= x1 + 1 and y0 <= py <= y1 + (y1 - y0) for x0, y0, x1, y1 in boxes):
                    stray.append((round(px, 1), round(py, 1)))
    assert not stray, f"ink of the grave outside its letter at {stray[:5]}"
