"""What both benchmarks share: a private config, the project's fonts, the bare baseline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
FONT_REGULAR = ROOT / "fonts" / "AtkinsonHyperlegible-Regular.ttf"
FONT_BOLD = ROOT / "fonts" / "AtkinsonHyperlegible-Bold.ttf"


def bench_config(folder: Path) -> Path:
    """config.yaml with the repository's content and templates, output and records in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {"handouts": ROOT / "handouts", "templates": ROOT / "templates", "output": folder / "out",
              "records": folder / "records.db", "outbox": folder / "outbox"}
    lines = (ROOT / "config.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("paths:")
    for i in range(start + 1, len(lines)):
        if lines[i] and not lines[i].startswith((" ", "#")):
            break
        key = lines[i].strip().split(":", 1)[0]
        if key in wanted and lines[i].startswith("  ") and not lines[i].startswith("   "):
            lines[i] = f"  {key}: {json.dumps(str(wanted.pop(key)))}"
    if wanted:
        raise SystemExit(f"config.yaml: paths.{', '.join(wanted)} not found")
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_baseline(baseline_dir: Path) -> tuple[ModuleType, ModuleType, dict]:
    """The baseline's content and renderer, imported in this process with the project's fonts."""
    sys.path.insert(0, str(baseline_dir))
    import baseline_content as content  # the baseline lives outside this repo: imported here
    import baseline_reportlab as baseline
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("Base", str(FONT_REGULAR)))
    pdfmetrics.registerFont(TTFont("Base-Bold", str(FONT_BOLD)))
    pdfmetrics.registerFontFamily("Base", normal="Base", bold="Base-Bold", italic="Base", boldItalic="Base-Bold")
    return content, baseline, baseline.styles()
