"""Control characters, NUL, direction overrides and line breaks in the clinic's settings or the
content are refused like in a patient's name: one line with file:line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import VISIT, assert_failed_cleanly, cli, replace_line

CONTENT = Path("handouts/dry-needling/en.yaml")


def info(project: Path):
    return cli("info", "--patient", "Ana Lima", *VISIT, "-o", "out.pdf", cwd=project)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("name: Riverside Physio & Sports Clinic", 'name: "Riverside\\nPhysio"',
     "clinic.name: contains characters that cannot be printed: a line break; retype it"),
    ('phone: "01632 960 418"', 'phone: "01632\\u202e 960 418"',
     "clinic.phone: contains characters that cannot be printed: RIGHT-TO-LEFT OVERRIDE (U+202E); retype it"),
    ('emergency_number: "999"', 'emergency_number: "9\\t99"',
     "clinic.emergency_number: contains characters that cannot be printed: a tab; retype it"),
    ("    - 14 Mill Lane", '    - "14 Mill\\u0000 Lane"',
     "clinic.address[1]: contains characters that cannot be printed: U+0000; retype it"),
    ('out_of_hours: "Out of hours, call NHS 111 for advice."', 'out_of_hours: "Out of hours,\\u200b call 111."',
     "clinic.out_of_hours: contains characters that cannot be printed: ZERO WIDTH SPACE (U+200B); retype it"),
])
def test_unprintable_settings_are_refused(project: Path, old: str, new: str, message: str) -> None:
    line = replace_line(project / "config.yaml", old, new)
    assert assert_failed_cleanly(info(project), project, project / "out.pdf") == [f"config.yaml:{line}: {message}"]
    result = cli("validate", cwd=project)
    assert result.returncode == 2 and f"config.yaml:{line}: {message}" in result.stderr


def test_unprintable_content_text_is_refused(project: Path) -> None:
    line = replace_line(project / CONTENT, "cover_done: Done", 'cover_done: "Do\\u202ene"')
    assert assert_failed_cleanly(info(project), project, project / "out.pdf") == [
        f"{CONTENT}:{line}: labels.cover_done: contains characters that cannot be printed: "
        "RIGHT-TO-LEFT OVERRIDE (U+202E); retype it"]


def test_line_breaks_in_paragraph_text_stay_allowed(project: Path) -> None:
    replace_line(project / "config.yaml", 'out_of_hours: "Out of hours, call NHS 111 for advice."',
                 'out_of_hours: "Out of hours,\\ncall NHS 111 for advice."')
    result = info(project)
    assert result.returncode == 0, result.stderr
