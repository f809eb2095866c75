"""The command line: parse options, call one use case (patientdocs.usecases), print its result.

Heavy modules are imported inside commands so that ``--help`` and ``list`` answer at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from patientdocs.cli.exitcodes import Exit
from patientdocs.errors import Interrupted, PatientDocsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def fail(message: str, code: Exit = Exit.BAD_INPUT) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _stop_cleanly_on_terminate() -> None:
    """``kill`` (SIGTERM) stops like Ctrl-C: temporary files are removed and nothing half-written
    is left, instead of the process vanishing mid-write."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (tests driving the CLI in-process)
        signal.signal(signal.SIGTERM, stop)


class Group(click.Group):
    """Turns every user error into one clear message and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        _stop_cleanly_on_terminate()
        try:
            return super().invoke(ctx)
        except PatientDocsError as exc:
            for line in str(exc).splitlines():
                click.echo(f"Error: {line}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            message = exc.message if isinstance(exc, Interrupted) else (
                "Stopped. Files already finished are complete; nothing half-written was left.")
            click.echo(message, err=True)
            sys.exit(Exit.INTERRUPTED)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            # The output was cut short on purpose (``history | head``): nothing to report.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(Exit.SOME_FAILED)
        except OSError as exc:
            if os.environ.get("PATIENTDOCS_DEBUG"):
                raise
            # A full disk, a read-only or vanished folder: the user can fix these.
            place = f" ({exc.filename})" if exc.filename else ""
            fail(f"could not read or write a file{place}: {exc.strerror or type(exc).__name__}. "
                 "Files already finished are complete; no half-written file was left.", Exit.SOME_FAILED)
        except Exception as exc:
            if os.environ.get("PATIENTDOCS_DEBUG"):
                raise
            if type(exc).__module__ == "sqlite3":
                fail(f"the records database is busy or damaged ({exc}); try again in a minute. Files already "
                     "finished are complete; no half-written file was left.", Exit.SOME_FAILED)
            # The exception text may hold patient data, so only its type is shown.
            fail(f"unexpected problem ({type(exc).__name__}). Files already finished are complete; "
                 "no half-written file was left. Run again with PATIENTDOCS_DEBUG=1 to see details, "
                 "and report it.", Exit.UNEXPECTED)


def _config_path(ctx: click.Context, given: Path | None) -> Path:
    if given is not None:
        return given
    parent = ctx.find_root().params.get("config")
    if parent is not None:
        return parent
    here = Path("config.yaml")
    return here if here.exists() else PROJECT_ROOT / "config.yaml"


def load_config(ctx: click.Context, given: Path | None = None):
    from patientdocs.load.config import load_config as load

    return load(_config_path(ctx, given))


CONFIG_HELP = "The clinic's settings file. Default: config.yaml in this folder, else the one beside generate.py."
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None, help=CONFIG_HELP)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None, help=CONFIG_HELP)
@click.version_option(package_name=None, version=__import__("patientdocs").__version__, prog_name="patientdocs")
def main(config: Path | None) -> None:
    """Print or email dry needling documents for a patient.

    \b
    Make one document:
      python generate.py info --patient "Ana Lima" --therapist "Sam Patel"
    See what treatments and languages there are:
      python generate.py list
    Check the clinic's settings and all the content:
      python generate.py validate

    Files go to the out/ folder unless you give -o. Run any command with --help for more.
    """


# The commands register themselves on ``main``.
from patientdocs.cli import day, documents, mail, records, seal, status, web  # noqa: E402,F401
