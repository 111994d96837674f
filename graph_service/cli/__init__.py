"""The `digispine` command line (typer). Each command is a composition root."""
