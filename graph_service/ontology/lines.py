"""Line numbers for terms in Turtle text, which rdflib does not keep.

A small tokenizer follows the statement structure just enough to know where each statement's
subject starts, and where each IRI is first mentioned. Good enough for well-formed files; a file
that does not parse is reported by rdflib's own error (with its line) instead.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urljoin

_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<string>\"\"\"(?:[^\\]|\\[\s\S])*?\"\"\"|'''(?:[^\\]|\\[\s\S])*?'''
                 |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\s]*>)
    | (?P<directive>@prefix|@base|(?i:PREFIX|BASE)(?=\s))
    | (?P<pname>(?:[A-Za-z][\w.-]*)?:(?:[\w:%-]|\\.|\.(?=[\w:%-]))*)
    | (?P<punct>[.;,\[\]()])
    | (?P<other>[^\s.;,\[\]()\#"'<]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class LineIndex:
    """Per file: IRI → line where a statement about it starts, and IRI → first mention."""

    subjects: Mapping[str, int]
    mentions: Mapping[str, int]

    def line_of(self, iri: str) -> int | None:
        """The subject line when the file says something about ``iri``, else its first mention."""
        return self.subjects.get(iri) or self.mentions.get(iri)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    offset: int


def _tokens(text: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("comment", "string"):
            continue
        yield _Token(kind, match.group(), match.start())


def index_turtle(text: str, base: str = "") -> LineIndex:
    """Index ``text``; relative IRIs are resolved against ``@base`` or ``base``."""
    newlines = [i for i, char in enumerate(text) if char == "\n"]
    prefixes: dict[str, str] = {}
    subjects: dict[str, int] = {}
    mentions: dict[str, int] = {}
    depth = 0
    expect_subject = True
    pending: list[_Token] = []  # a directive and its arguments

    def line(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1

    def resolve(token: _Token) -> str | None:
        if token.kind == "iri":
            return urljoin(prefixes.get("@base", base), token.text[1:-1])
        prefix, _, local = token.text.partition(":")
        namespace = prefixes.get(prefix)
        return None if namespace is None else namespace + local.replace("\\", "")

    for token in _tokens(text):
        if pending:
            pending.append(token)
            if _directive_done(pending):
                _apply_directive(pending, prefixes, resolve)
                pending = []
            continue
        if token.kind == "directive":
            pending = [token]
            continue
        if token.kind == "punct":
            depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(token.text, 0)
            expect_subject = token.text == "." and depth == 0 or (expect_subject and depth > 0)
            continue
        if token.kind not in ("iri", "pname"):
            expect_subject = False
            continue
        iri = resolve(token)
        if iri is None:
            continue
        mentions.setdefault(iri, line(token.offset))
        if expect_subject and depth == 0:
            subjects.setdefault(iri, line(token.offset))
        expect_subject = False
    return LineIndex(MappingProxyType(subjects), MappingProxyType(mentions))


def _directive_done(pending: list[_Token]) -> bool:
    keyword = pending[0].text.lower()
    needed = 3 if keyword in ("@prefix", "prefix") else 2
    if keyword.startswith("@"):
        return len(pending) >= needed + 1 or (len(pending) > 1 and pending[-1].text == ".")
    return len(pending) >= needed


def _apply_directive(
    pending: list[_Token], prefixes: dict[str, str], resolve: Callable[[_Token], str | None]
) -> None:
    keyword = pending[0].text.lower()
    args = [t for t in pending[1:] if t.kind != "punct"]
    if keyword in ("@prefix", "prefix") and len(args) >= 2 and args[1].kind == "iri":
        prefixes[args[0].text.rstrip(":")] = resolve(args[1]) or ""
    elif keyword in ("@base", "base") and args and args[0].kind == "iri":
        prefixes["@base"] = resolve(args[0]) or ""
