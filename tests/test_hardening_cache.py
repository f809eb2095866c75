"""The private cache (validated settings and content, compiled templates) does not grow for ever:
entries not used for a month go, at most 200 stay, and what is in use is kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import VISIT, cli


def test_old_and_surplus_cache_entries_are_pruned_when_something_new_is_kept(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    validated = cache / "patientdocs" / "validated"
    validated.mkdir(parents=True, mode=0o700)
    (cache / "patientdocs").chmod(0o700)
    month_ago = time.time() - 31 * 24 * 3600
    stale = [validated / f"content-{i:016x}-{'0' * 32}.pickle" for i in range(250)]
    for i, entry in enumerate(stale):
        entry.write_bytes(b"old")
        os.utime(entry, (month_ago + i, month_ago + i) if i < 50 else (time.time() - 1000 + i,) * 2)
    old_jinja = cache / "patientdocs" / "jinja-0000000000000000"
    old_jinja.mkdir(mode=0o700)
    (old_jinja / "__jinja2_x.cache").write_bytes(b"old")
    os.utime(old_jinja, (month_ago, month_ago))
    result = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "out.pdf", cwd=project,
                 env={"XDG_CACHE_HOME": str(cache)})
    assert result.returncode == 0, result.stderr
    left = sorted(validated.glob("*.pickle"))
    assert len(left) == 200
    assert not any(entry.exists() for entry in stale[:52])  # the month-old ones, and the oldest beyond 200
    assert not old_jinja.exists()
    assert list((cache / "patientdocs").glob("jinja-*/__jinja2_*.cache"))  # this version's, just made
    again = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "out.pdf", cwd=project,
                env={"XDG_CACHE_HOME": str(cache)})
    assert again.returncode == 0
    assert sorted(validated.glob("*.pickle")) == left  # a run that only reads keeps everything
