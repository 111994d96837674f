"""Federated queries (``SERVICE``): refused unless every endpoint is on the allow-list.

pyoxigraph evaluates ``SERVICE <iri> { … }`` by sending the request from the server itself, and a
failing call's message quotes the answer: an open door to the server's own network. pyoxigraph does
not expose the parsed algebra, so the query text is tokenized the way SPARQL's grammar splits it
(strings, IRIs, comments, variables, numbers and prefixed names are single tokens and cannot hide
a keyword) and every bare word containing ``SERVICE`` is taken for the keyword: pyoxigraph needs no
boundary after a keyword (``trueSERVICE <…>`` parses as ``true SERVICE <…>``), and no SPARQL
keyword or function name contains the word, so this errs only towards refusing. An allowed call
names its endpoint as a full IRI (``SERVICE [SILENT] <https://…>``) that is on the allow-list
verbatim; a variable, a prefixed name or a relative IRI is refused, since what it resolves to is not
visible in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from graph_service.rdf.errors import FederatedQueryRefused

ALLOWLIST_SETTING = "DIGISPINE_SPARQL_SERVICE_ALLOWLIST"

# One alternative per lexical class, tried in this order at each position. Long strings before
# short ones (''' starts with '), IRIs before other punctuation, prefixed names before keywords.
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
               |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'
               |"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<comment>\#[^\n\r]*)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>(?:[^\W\d][\w.\-]*)?:(?:[\w.\-:]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])*)
    | (?P<number>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<word>[^\W\d]\w*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def parse_allowlist(text: str) -> frozenset[str]:
    """The endpoint IRIs of the allow-list setting (commas or white space between them)."""
    return frozenset(part.strip("<>") for part in re.split(r"[\s,]+", text) if part.strip())


def tokens(text: str) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` of every token but white space and comments."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield kind, match.group()


def service_endpoints(text: str) -> list[str | None]:
    """The endpoint of each ``SERVICE`` clause, in order: the IRI when written as a full IRI,
    None when it is a variable, a prefixed name, a relative IRI or cannot be told."""
    found: list[str | None] = []
    stream = list(tokens(text))
    for index, (kind, value) in enumerate(stream):
        word = value.upper()
        if kind == "pname" and ".SERVICE" in word:  # a name that swallowed the keyword
            found.append(None)
            continue
        if kind != "word" or "SERVICE" not in word:
            continue
        rest = stream[index + 1 : index + 3]
        if word.endswith("SERVICE") and rest and rest[0][0] == "word" and rest[0][1].upper() == "SILENT":
            rest = rest[1:]
        elif not word.endswith(("SERVICE", "SERVICESILENT")):
            rest = []
        found.append(_absolute_iri(rest[0]) if rest else None)
    return found


def _absolute_iri(token: tuple[str, str]) -> str | None:
    kind, value = token
    return value[1:-1] if kind == "iri" and _ABSOLUTE.match(value[1:-1]) else None


def check_federation(text: str, allowlist: Iterable[str]) -> None:
    """Raise :class:`FederatedQueryRefused` unless every SERVICE endpoint is allowed."""
    endpoints = service_endpoints(text)
    if not endpoints:
        return
    allowed = frozenset(allowlist)
    if not allowed:
        raise FederatedQueryRefused(
            f"federated queries (SERVICE) are refused: the server calls no other endpoint unless "
            f"{ALLOWLIST_SETTING} names it"
        )
    for endpoint in endpoints:
        if endpoint is None:
            raise FederatedQueryRefused(
                "SERVICE needs its endpoint written as a full IRI, SERVICE <https://…>, so it can be "
                f"checked against {ALLOWLIST_SETTING}; a variable or prefixed name is refused"
            )
        if endpoint not in allowed:
            raise FederatedQueryRefused(
                f"SERVICE <{endpoint}> is refused: the endpoint is not on {ALLOWLIST_SETTING}"
            )
