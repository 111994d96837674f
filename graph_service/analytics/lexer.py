"""A small Cypher tokenizer for the statement guard: comments dropped, strings and escaped names
decoded, so a check never mistakes text inside a literal for code (or the other way round).

It does not parse Cypher; it only cuts the text into tokens the guard's rules look at. Text it
cannot cut (an unterminated string, comment or escaped name) raises :class:`LexError`, and the
guard refuses the statement: what it cannot read, it does not let through.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What a token is."""

    NAME = "name"  # a bare identifier or keyword: MATCH, n, email, toUpper
    QUOTED = "quoted"  # a `backticked` identifier (text holds the name without backticks)
    STRING = "string"  # a string literal (text holds the decoded value)
    NUMBER = "number"
    PARAM = "param"  # $name (text holds the name)
    SYMBOL = "symbol"  # punctuation and operators: ( ) [ ] { } . , | .. <= =~ ...


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    offset: int

    def is_name(self, *words: str) -> bool:
        """A bare identifier equal (case-insensitively) to one of ``words`` (keywords are bare)."""
        return self.kind is Kind.NAME and self.text.upper() in {w.upper() for w in words}

    def is_symbol(self, *symbols: str) -> bool:
        return self.kind is Kind.SYMBOL and self.text in symbols

    @property
    def identifier(self) -> str | None:
        """The name this token spells, bare or backticked; None for literals and symbols."""
        return self.text if self.kind in (Kind.NAME, Kind.QUOTED) else None


class LexError(ValueError):
    """The text cannot be cut into tokens (the offset says where)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


_SPACE = re.compile(r"\s+")
_NAME = re.compile(r"[^\W\d]\w*")
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F_]+|0[oO][0-7_]+"
    r"|(?:\d[\d_]*)?\.\d[\d_]*(?:[eE][+-]?\d+)?"  # .5, 1.5, 1.5e3
    r"|\d[\d_]*(?:[eE][+-]?\d+)?"  # 1, 1e3 (never 1. : 1..3 is a slice)
)
_PARAM = re.compile(r"\$(?:[^\W]\w*|`(?:[^`]|``)*`)")
_SYMBOLS = ("..", "<=", ">=", "<>", "!=", "=~", "->", "<-", "+=", "::", "||")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; comments and whitespace are dropped."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if (space := _SPACE.match(text, pos)) is not None:
            pos = space.end()
        elif text.startswith("//", pos):
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end + 1
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                raise LexError("a /* comment is not closed", pos)
            pos = end + 2
        elif char in "'\"":
            value, end = _string(text, pos)
            tokens.append(Token(Kind.STRING, value, pos))
            pos = end
        elif char == "`":
            end = _backtick_end(text, pos)
            tokens.append(Token(Kind.QUOTED, text[pos + 1 : end - 1].replace("``", "`"), pos))
            pos = end
        elif (param := _PARAM.match(text, pos)) is not None:
            name = param.group()[1:]
            tokens.append(Token(Kind.PARAM, name[1:-1].replace("``", "`") if name[0] == "`" else name, pos))
            pos = param.end()
        elif (number := _NUMBER.match(text, pos)) is not None and number.end() > pos:
            tokens.append(Token(Kind.NUMBER, number.group(), pos))
            pos = number.end()
        elif (word := _NAME.match(text, pos)) is not None:
            tokens.append(Token(Kind.NAME, word.group(), pos))
            pos = word.end()
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, pos)), char)
            tokens.append(Token(Kind.SYMBOL, symbol, pos))
            pos += len(symbol)
    return tokens


def _string(text: str, start: int) -> tuple[str, int]:
    """The decoded value of the string literal at ``start`` and the offset after it."""
    quote = text[start]
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < len(text):
            code = text[pos + 1]
            if code in "uU":
                width = 4 if code == "u" else 8
                digits = text[pos + 2 : pos + 2 + width]
                if len(digits) != width or not all(c in string.hexdigits for c in digits):
                    raise LexError("a \\u escape needs hexadecimal digits", pos)
                out.append(chr(int(digits, 16)))
                pos += 2 + width
                continue
            out.append(_ESCAPES.get(code, "\\" + code))
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise LexError("a string literal is not closed", start)


def _backtick_end(text: str, start: int) -> int:
    pos = start + 1
    while True:
        end = text.find("`", pos)
        if end < 0:
            raise LexError("a `name` is not closed", start)
        if text.startswith("``", end):
            pos = end + 2
            continue
        return end + 1
