"""Listings keep whole values: an id is never cut, at 80 columns, at 250, in a pipe or as JSON."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from graph_service.cli.listing import Field, print_rows

FIELDS = (
    Field("id", "id", identifies=True),
    Field("reason", "reason", identifies=True),
    Field("message", "message"),
)
ROWS = [
    {
        "id": "70b958fba492c0ffee",
        "reason": "conflicting-duplicate",
        "message": "word " * 40 + "[bold]not markup[/]",
    },
    {"id": "4885be7f8158", "reason": "shacl", "message": None},
]


def terminal(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=width, color_system=None), out


@pytest.mark.parametrize("width", [40, 80, 250])
def test_a_terminal_of_any_width_shows_every_id_and_reason_whole(width: int) -> None:
    console, out = terminal(width)
    print_rows(console, FIELDS, ROWS, as_json=False)
    text = out.getvalue()
    for row in ROWS:
        assert row["id"] in text and row["reason"] in text
    assert "[bold]not markup[/]" in " ".join(text.split()).replace("│ ", "").replace(" │", "")
    assert "…" not in text


def test_a_pipe_gets_one_tab_separated_line_per_row_under_a_header(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    print_rows(console, FIELDS, ROWS, as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["id", "reason", "message"]
    assert [line.split("\t")[:2] for line in lines[1:]] == [[r["id"], r["reason"]] for r in ROWS]


def test_json_is_the_rows_whole(capsys: pytest.CaptureFixture[str]) -> None:
    print_rows(terminal(80)[0], FIELDS, ROWS, as_json=True)
    assert json.loads(capsys.readouterr().out) == ROWS
