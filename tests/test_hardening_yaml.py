"""YAML "billion laughs": a few nested aliases in config.yaml or a content file are refused at once,
with file:line and exit 2, before anything walks the expanded data."""

from __future__ import annotations

import itertools
import resource
import subprocess
import sys
import time
from pathlib import Path

from support import GENERATE, VISIT, cli_env

from patientdocs.load import yamlsource

LEVELS = "abcdefghi"


def bomb(key: str, levels: int = 9) -> str:
    """A nested alias bomb under ``key`` (9 levels: about 390 million strings once expanded)."""
    lines = [f"{key}:", f'  {LEVELS[0]}: &{LEVELS[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise(LEVELS[:levels]):
        lines.append(f"  {name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _limit_memory() -> None:
    # Code that expands the bomb must fail here, not take the machine's memory with it.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run_limited(project: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = cli_env()  # a process of its own: its memory is limited
    started = time.monotonic()
    try:
        result = subprocess.run([sys.executable, str(GENERATE), "info", "--patient", "Ana Lima", *VISIT,
                                 "-o", "out.pdf"], cwd=project, env=env, capture_output=True, text=True,
                                encoding="utf-8", timeout=30, preexec_fn=_limit_memory, check=False)
    except subprocess.TimeoutExpired:
        raise AssertionError("the alias bomb was still running after 30 s") from None
    return result, time.monotonic() - started


def test_alias_bomb_in_config_is_refused_with_its_line(project: Path) -> None:
    config = project / "config.yaml"
    text = config.read_text(encoding="utf-8")
    first_alias_line = text.count("\n") + 3  # key line, level a, then level b holds the first *a
    config.write_text(text + bomb("x_bomb"), encoding="utf-8")
    result, _ = run_limited(project)
    assert result.returncode == 2, (result.returncode, result.stderr[-500:])
    assert result.stderr.strip().splitlines() == [
        f"Error: config.yaml:{first_alias_line}: an alias (*name) is not allowed in this file: "
        "write the value out in full"]
    assert not (project / "out.pdf").exists()


def test_alias_bomb_in_content_is_refused_with_its_line(project: Path) -> None:
    content = project / "handouts" / "dry-needling" / "en.yaml"
    text = content.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    first_alias_line = text.count("\n") + 3
    content.write_text(text + bomb("x_bomb"), encoding="utf-8")
    result, _ = run_limited(project)
    assert result.returncode == 2, (result.returncode, result.stderr[-500:])
    assert result.stderr.strip().splitlines() == [
        f"Error: handouts/dry-needling/en.yaml:{first_alias_line}: an alias (*name) is not allowed in this "
        "file: write the value out in full"]
    assert not list(project.rglob("*.pdf"))


def test_alias_bomb_is_refused_within_a_second(tmp_path: Path) -> None:
    started = time.monotonic()
    try:  # 7 levels (4.8 million strings): code that expands it takes seconds, not the machine
        yamlsource.parse(bomb("x", levels=7), tmp_path / "config.yaml")
    except Exception as exc:
        message = str(exc)
    else:
        raise AssertionError("the bomb was accepted")
    assert time.monotonic() - started < 1.0
    assert message.endswith("config.yaml:3: an alias (*name) is not allowed in this file: write the value out in full")


def test_a_merge_key_is_an_alias_too(tmp_path: Path) -> None:
    text = "base: &b {a: 1}\nother:\n  <<: *b\n"
    try:
        yamlsource.parse(text, tmp_path / "config.yaml")
    except Exception as exc:
        assert str(exc).endswith("config.yaml:3: an alias (*name) is not allowed in this file: "
                                 "write the value out in full")
    else:
        raise AssertionError("the merge was accepted")
