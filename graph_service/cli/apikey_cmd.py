"""`digispine apikey`: make API keys and the configuration entries that hold their hashes."""

from __future__ import annotations

import typer

from graph_service.cli.common import console, settings_or_exit, user_errors

app = typer.Typer(help="API keys: create one and print its configuration entry.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Who uses the key (shown in logs and errors)."),
    roles: str = typer.Option(
        ..., "--roles", help="Comma-separated roles, e.g. reader,personal-data or analyst or admin."
    ),
) -> None:
    """Print a new random key (once; it is not stored) and the DIGISPINE_API_KEYS entry with its hash."""
    from graph_service.api.auth import known_roles
    from graph_service.security import hash_key, new_key, parse_entries

    key = new_key()
    with user_errors():
        # The serving settings decide which roles exist (the data products name their own).
        known = known_roles(settings_or_exit())
        [entry] = parse_entries(f"{name}:{hash_key(key)}:{roles}", "--name/--roles", known)
    console.print(f"API key for {entry.name} (shown once, keep it secret):\n  {key}")
    console.print(
        "Add this entry to DIGISPINE_API_KEYS (entries separated by ';') or DIGISPINE_API_KEYS_FILE:"
    )
    console.print(f"  {entry.entry()}", soft_wrap=True)
    console.print(f'Send it as: curl -H "Authorization: Bearer {key}" …', soft_wrap=True)
