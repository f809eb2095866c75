"""``serve`` (the front desk's page) and ``users`` (its staff accounts). Flask is imported only here."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from patientdocs.cli import _config_path, config_option, load_config, main


@main.command(short_help="Start the front desk's page in a browser on this computer.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but this computer needs TLS (--cert/--key or --self-signed).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The clinic's TLS certificate (PEM).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The certificate's private key (PEM).")
@click.option("--self-signed", is_flag=True, help="Make (once) and use a self-signed certificate, kept in tls/.")
@config_option
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, cert: Path | None, key: Path | None, self_signed: bool,
          config_path: Path | None) -> None:
    """Serve the front desk's page: today's list, one patient, after a session, history, verify, status.

    \b
    It prints the address to open and opens nothing else; Ctrl-C stops it. Staff log in with
    their own account (see 'users add'). Sessions end after 15 minutes without use.
    """
    from patientdocs.web.serve import serve as run

    try:
        run(_config_path(ctx, config_path), click.echo, host=host, port=port, cert=cert, key=key,
            self_signed=self_signed)
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)


@main.group(short_help="Staff accounts for the front desk's page.")
def users() -> None:
    """Staff accounts for the front desk's page: one per person, passwords stored as argon2 hashes."""


@users.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@config_option
@click.pass_context
def users_add(ctx: click.Context, name: str, password_stdin: bool, config_path: Path | None) -> None:
    """Add the account NAME, or set a new password for it (asked twice, not shown)."""
    from patientdocs.web.accounts import add_user, check_username

    config = load_config(ctx, config_path)
    check_username(name)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    new = add_user(config.records_path, name, password)
    click.echo(f"{'Added the account' if new else 'New password set for'} {name}")


@users.command("remove")
@click.argument("name")
@config_option
@click.pass_context
def users_remove(ctx: click.Context, name: str, config_path: Path | None) -> None:
    """Remove the account NAME: it cannot log in again, and a session open now ends at once."""
    from patientdocs.web.accounts import remove_user

    remove_user(load_config(ctx, config_path).records_path, name)
    click.echo(f"Removed the account {name}")


@users.command("list")
@config_option
@click.pass_context
def users_list(ctx: click.Context, config_path: Path | None) -> None:
    """The accounts that can log in."""
    from patientdocs.web.accounts import list_users

    for name in list_users(load_config(ctx, config_path).records_path):
        click.echo(name)
