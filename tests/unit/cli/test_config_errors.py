"""A bad DIGISPINE_* value stops any command with one line naming the variable and its value
(a secret's value hidden), exit 2, and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_service.cli.main import app


@pytest.mark.parametrize(
    ("variable", "value", "shown"),
    [
        ("DIGISPINE_HTTP_PORT", "eighty", "'eighty'"),
        ("DIGISPINE_LOG_FORMAT", "xml", "'xml'"),
        ("NEO4J_URI", "http://db:7474", "'http://db:7474'"),
        ("NEO4J_PASSWORD", "pw-1", "(hidden)"),
        ("DIGISPINE_DATA_DIR", "{file}", "'{file}'"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting_and_value(
    variable: str, value: str, shown: str, tmp_path: Path
) -> None:
    file = tmp_path / "a-file"
    file.write_text("")
    value, shown = value.format(file=file), shown.format(file=file)
    for command in (["neo4j", "status"], ["deadletters", "list"], ["load", str(file)]):
        result = CliRunner().invoke(app, command, env={variable: value, "COLUMNS": "80"})
        assert result.exit_code == 2, result.output
        (line,) = result.output.splitlines()
        assert line.startswith(f"invalid configuration: {variable}={shown}: ")
        assert "Traceback" not in result.output and (shown == "(hidden)") == (value not in line)
