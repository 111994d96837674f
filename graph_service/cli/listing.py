"""How listing commands print rows: whole values at any width, in a pipe, or as JSON.

- ``--json``: a JSON array of objects (the whole values, typed), for scripts.
- In a pipe: tab-separated lines under a header line, one row per line, nothing cut (for ``cut``,
  ``awk``, ``grep``); tabs and newlines inside a value become spaces.
- In a terminal: a table when the identifying columns fit whole; else one block per row (the
  identifying columns on the first line, the others below it), so an id is never shortened to
  ``70b958fb…``, whatever the width.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

#: Below this many characters a free-text column of a table would be shredded into a word per line.
MIN_TEXT_WIDTH = 16


@dataclass(frozen=True)
class Field:
    """One column: the key in the row dicts, its header, and whether it identifies the row (an id,
    a reason code, a name: what a user types back, so it is never cut or wrapped)."""

    key: str
    header: str
    identifies: bool = False


def print_rows(
    console: Console, fields: Sequence[Field], rows: Sequence[Mapping[str, Any]], *, as_json: bool
) -> None:
    """Print ``rows`` (dicts by ``Field.key``) in the form the output calls for (module docstring)."""
    if as_json:
        sys.stdout.write(
            json.dumps([dict(r) for r in rows], ensure_ascii=False, indent=2, default=str) + "\n"
        )
    elif not console.is_terminal:
        sys.stdout.write("\t".join(f.header for f in fields) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(_flat(row.get(f.key)) for f in fields) + "\n")
    elif _fits(console, fields, rows):
        table = Table(*(_column(f) for f in fields))
        for row in rows:
            table.add_row(*(Text(_text(row.get(f.key))) for f in fields))
        console.print(table)
    else:
        _blocks(console, fields, rows)


def _fits(console: Console, fields: Sequence[Field], rows: Sequence[Mapping[str, Any]]) -> bool:
    widths = [
        max([len(f.header), *(len(_text(r.get(f.key))) for r in rows)])
        if f.identifies
        else min(MIN_TEXT_WIDTH, max([len(f.header), *(len(_text(r.get(f.key))) for r in rows)]))
        for f in fields
    ]
    return sum(widths) + 3 * len(fields) + 1 <= console.width


def _column(field: Field) -> Column:
    if field.identifies:
        return Column(field.header, no_wrap=True, overflow="ignore")
    return Column(field.header, overflow="fold")


def _blocks(console: Console, fields: Sequence[Field], rows: Sequence[Mapping[str, Any]]) -> None:
    heads = [f for f in fields if f.identifies]
    rest = [f for f in fields if not f.identifies]
    width = max((len(f.header) for f in rest), default=0)
    for row in rows:
        head = "  ".join(_text(row.get(f.key)) for f in heads)
        console.print(head, style="bold", markup=False, highlight=False, soft_wrap=True)
        for f in rest:
            line = f"  {f.header + ':':<{width + 1}} {_text(row.get(f.key))}"
            console.print(line, markup=False, highlight=False, soft_wrap=True)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _flat(value: Any) -> str:
    return _text(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def print_record(console: Console, record: Mapping[str, Any], *, as_json: bool) -> None:
    """One record: ``name: value`` lines aligned, or a JSON object."""
    if as_json:
        sys.stdout.write(json.dumps(dict(record), ensure_ascii=False, indent=2, default=str) + "\n")
        return
    width = max((len(name) for name in record), default=0)
    for name, value in record.items():
        console.print(
            f"{name + ':':<{width + 1}} {_text(value)}", markup=False, highlight=False, soft_wrap=True
        )
