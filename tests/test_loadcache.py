"""Validated settings and content kept between runs: used when the file is unchanged, never stale.

Every test points XDG_CACHE_HOME at its own folder, so it starts with an empty cache.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, VISIT, assert_failed_cleanly, cli, line_of, page_texts, replace_line

from patientdocs.errors import PatientDocsError
from patientdocs.load import loadcache
from patientdocs.load.config import load_config
from patientdocs.load.content import load_content


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "patientdocs" / "validated"


def content_file(project: Path) -> Path:
    return project / "handouts" / "dry-needling" / "en.yaml"


def entries(cache: Path, kind: str) -> list[Path]:
    return sorted(cache.glob(f"{kind}-*.pickle"))


def test_a_second_run_reads_neither_yaml_nor_the_schema(project: Path, cache: Path) -> None:
    """The point of the cache: a cold run with unchanged files never imports PyYAML."""
    probe = (
        "import sys; from pathlib import Path\n"
        "from patientdocs.load.config import load_config\n"
        "from patientdocs.load.content import load_content\n"
        f"config = load_config(Path({str(project / 'config.yaml')!r}))\n"
        "loaded = load_content(config.handouts_dir, 'dry-needling', 'en')\n"
        "print(loaded.data.version, 'yaml' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parents[1])}
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0][1] == "True"  # first run: parsed and validated
    assert runs[1] == [runs[0][0], "False"]  # second run: the same content, without YAML
    assert len(entries(cache, "config")) == 1 and len(entries(cache, "content")) == 1


def test_cached_content_equals_freshly_validated_content(project: Path, cache: Path) -> None:
    config = load_config(project / "config.yaml")
    fresh = load_content(config.handouts_dir, "dry-needling", "en")
    kept = load_content(config.handouts_dir, "dry-needling", "en")
    assert entries(cache, "content")
    assert kept.data is not fresh.data  # really read back from the cache
    assert dataclasses.asdict(kept.data) == dataclasses.asdict(fresh.data)
    assert (kept.chars, kept.digest) == (fresh.chars, fresh.digest)


def test_an_edited_content_file_is_never_served_from_the_cache(project: Path, cache: Path) -> None:
    path = content_file(project)
    title = "Dry needling: information for you"
    first = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "a.pdf", cwd=project)
    assert first.returncode == 0, first.stderr
    replace_line(path, f'title: "{title}"', "title: Needling explained, edited today")
    second = cli("info", "--patient", "Ana Lima", *VISIT, "-o", "b.pdf", cwd=project)
    assert second.returncode == 0, second.stderr
    assert title in page_texts(project / "a.pdf")[0]
    assert "Needling explained, edited today" in page_texts(project / "b.pdf")[0]
    # Only the newest version of a file is kept.
    assert len(entries(cache, "content")) == 1


def test_a_file_broken_after_a_cached_run_is_reported_with_its_line(project: Path) -> None:
    assert cli("info", "--patient", "Ana Lima", *VISIT, cwd=project).returncode == 0
    for pdf in project.rglob("*.pdf"):
        pdf.unlink()
    line = replace_line(content_file(project), "review_by: 2027-11-20", "review_by: 2027-02-30")
    result = cli("info", "--patient", "Ana Lima", *VISIT, cwd=project)
    (message,) = assert_failed_cleanly(result, project)
    assert message.startswith(f"handouts/dry-needling/en.yaml:{line}: review_by:"), message


def test_the_same_bytes_in_another_treatment_folder_are_still_checked(project: Path, cache: Path) -> None:
    load_content(project / "handouts", "dry-needling", "en")
    copy = project / "handouts" / "cupping" / "en.yaml"
    copy.parent.mkdir()
    copy.write_bytes(content_file(project).read_bytes())
    facts = (content_file(project).parent / "facts.yaml").read_text(encoding="utf-8")
    (copy.parent / "facts.yaml").write_text(facts.replace("treatment: dry-needling", "treatment: cupping"),
                                            encoding="utf-8")
    with pytest.raises(PatientDocsError, match="does not match the folder 'cupping'"):
        load_content(project / "handouts", "cupping", "en")


def test_a_corrupt_cache_entry_is_rebuilt_and_gives_the_same_pdf(project: Path, cache: Path) -> None:
    args = ("info", "--patient", "Ana Lima", *VISIT)
    assert cli(*args, "-o", "a.pdf", cwd=project).returncode == 0
    for entry in cache.glob("*.pickle"):
        entry.write_bytes(b"\x80\x05not a pickle at all")
    again = cli(*args, "-o", "b.pdf", cwd=project)
    assert again.returncode == 0, again.stderr
    assert (project / "a.pdf").read_bytes() == (project / "b.pdf").read_bytes()


def test_a_cache_entry_of_the_wrong_kind_is_ignored(project: Path, cache: Path) -> None:
    config = load_config(project / "config.yaml")
    (entry,) = entries(cache, "config")
    content = load_content(config.handouts_dir, "dry-needling", "en")
    (entries(cache, "content")[0]).write_bytes(entry.read_bytes())  # a Config where content belongs
    assert load_content(config.handouts_dir, "dry-needling", "en").data.version == content.data.version


def test_a_folder_others_can_write_to_is_not_used(project: Path, cache: Path) -> None:
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    load_config(project / "config.yaml")
    load_config(project / "config.yaml")
    assert not list(cache.iterdir())


def test_no_usable_cache_folder_still_works(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = project / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert load_content(project / "handouts", "dry-needling", "en").data.version


def test_a_logo_removed_after_a_cached_run_is_reported_with_its_line(project: Path, cache: Path) -> None:
    config_path = project / "config.yaml"
    (project / "logo.png").write_bytes(b"\x89PNG")
    replace_line(config_path, "logo: null", "logo: logo.png")
    assert load_config(config_path).logo_path == project / "logo.png"
    (project / "logo.png").unlink()
    with pytest.raises(PatientDocsError) as caught:
        load_config(config_path)
    assert caught.value.line == line_of(config_path, "logo: logo.png")
    assert "clinic.logo: file" in caught.value.message


def test_entry_names_change_with_the_bytes_and_the_path() -> None:
    base = loadcache.entry_name("content", Path("a/en.yaml"), b"x: 1\n")
    assert loadcache.entry_name("content", Path("a/en.yaml"), b"x: 2\n") != base
    assert loadcache.entry_name("content", Path("b/en.yaml"), b"x: 1\n").split("-")[1] != base.split("-")[1]
    # Versions of one file share a prefix, which is how older ones are found and dropped.
    assert loadcache.entry_name("content", Path("a/en.yaml"), b"x: 2\n").split("-")[1] == base.split("-")[1]


def test_a_relative_cache_home_is_ignored(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-cache")
    monkeypatch.setenv("HOME", str(project / "home"))
    load_config(project / "config.yaml")
    assert not (project / "relative-cache").exists()
    assert list((project / "home" / ".cache" / "patientdocs" / "validated").glob("config-*.pickle"))


def test_an_english_document_made_from_the_cache_reads_no_yaml(project: Path, cache: Path) -> None:
    """The line offering the Spanish documents is read from es.yaml's own line, without PyYAML."""
    out = project / "info.pdf"
    probe = (
        "import sys\n"
        "from patientdocs.cli import main\n"
        f"sys.argv = ['generate.py', 'info', '--config', {str(project / 'config.yaml')!r}, '--patient', 'Ana Lima',"
        f" '--dob', '1990-05-02', '-o', {str(out)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('yaml' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parents[1])}
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                           check=True) for _ in range(2)]
    assert [run.stdout.split()[-1] for run in runs] == ["True", "False"], runs[0].stderr
    assert "Este documento también está disponible en español." in page_texts(out)[0]


@pytest.mark.parametrize("value", [
    '"Este documento también está disponible en español."', "'It''s in Polish too'", "'plain'",
    '"tab\\there"', '"a \\u00e9 b"', '"x" # a comment', "'x' # it's a comment", "plain words", '"a": b',
    '"quoted" and more', "'unclosed", '"unclosed', '"\\x41 YAML-only escape"', '"\\e"', "''", '""',
])
def test_a_label_line_means_what_yaml_says_it_means(tmp_path: Path, value: str) -> None:
    import yaml

    from patientdocs.load.content import label_of

    path = tmp_path / "es.yaml"
    path.write_text(f"labels:\n  also_available: {value}\n", encoding="utf-8")
    try:
        expected = yaml.safe_load(value)
    except yaml.YAMLError:
        expected = None
    assert label_of(path, "also_available") == (" ".join(expected.split()) if isinstance(expected, str) else "")
