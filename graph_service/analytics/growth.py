"""How much a statement can grow one value: the doublings of strings and lists, read from the text.

Neo4j builds a value inside one expression without checking the timeout or the memory limit,
and its Community edition has no setting that bounds a value's size. A statement can double a
value clause after clause (``WITH s + s AS s`` thirty times; also through aliases, subqueries,
``replace()``, or a ``reduce()`` that repeats a concatenation) until the heap is exhausted and the
server exits (docs/cypher.md has the measurements). So the guard bounds the growth up front.

The measure is in doublings: every step that can make a value more than its parts is counted
with the exponent of the factor it can multiply by.

- An additive chain (``a + b + c``, also ``||``) whose terms are ``m`` computed strings or lists
  counts ``ceil(log2(m))``. Literals and parameters add their own length once and are not counted;
  numbers, dates, booleans (numeric literals, ``count()``, ``sum()``, ``toInteger()``, ``size()``,
  ``a * b``, ``a - b``, numeric or temporal properties of the ontology, variables bound to them or
  to ``range()``) have a fixed size and are not counted either.
- A list or map literal with ``m`` computed elements counts ``ceil(log2(m))`` (nested lists are
  written out whole in the answer).
- ``replace(s, x, y)``: the factor ``len(y) / len(x)`` (``len(y) + 1`` when ``x`` is not a literal:
  it may be empty); a replacement that is not a literal is refused (the result can be the square
  of a value's length). ``normalize()`` of a computed value: 2 (NFC/NFD), 5 (NFKC/NFKD, up to 18×).
- Inside ``reduce()`` the body runs once per element, so a counted concatenation weighs
  ``ceil(log2(n))`` for ``n`` elements; a lengthening ``replace()``/``normalize()`` there is refused
  (it grows exponentially).
- A list comprehension whose projection copies a value from outside the comprehension (a
  concatenation or a function of it) keeps ``n`` copies: ``ceil(log2(n))`` more.

Case mappings (``toUpper``/``toLower``) lengthen a string at most 3× once (``ß`` → ``SS``), never
again: they are not counted. The sum is an upper bound: over-counting refuses a statement,
under-counting would let one through.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph_service.analytics.guard import (
    KEYWORDS,
    Refusal,
    _arguments,
    _integer,
    _matching,
    _starts_comprehension,
)
from graph_service.analytics.lexer import Kind, Token

#: Functions whose result has a fixed size (numbers, booleans, temporal values, points, ids).
SCALAR_FUNCTIONS = frozenset(
    name.lower()
    for name in [
        "abs",
        "acos",
        "asin",
        "atan",
        "atan2",
        "avg",
        "ceil",
        "char_length",
        "character_length",
        "cos",
        "cot",
        "count",
        "degrees",
        "e",
        "exp",
        "floor",
        "haversin",
        "id",
        "isEmpty",
        "isNaN",
        "length",
        "log",
        "log10",
        "pi",
        "radians",
        "rand",
        "round",
        "sign",
        "sin",
        "size",
        "sqrt",
        "stdev",
        "stdevp",
        "sum",
        "tan",
        "timestamp",
        "toBoolean",
        "toBooleanOrNull",
        "toFloat",
        "toFloatOrNull",
        "toInteger",
        "toIntegerOrNull",
        "percentileCont",
        "percentileDisc",
        "point",
        "point.distance",
        "point.withinBBox",
        "exists",
        "vector.similarity.cosine",
        "vector.similarity.euclidean",
        "elementId",
        "randomUUID",
        "valueType",
        "all",
        "any",
        "none",
        "single",
    ]
)
#: Temporal constructors and functions (``date``, ``datetime.truncate``, ``duration.between``, …).
TEMPORAL_PREFIXES = ("date", "datetime", "localdatetime", "localtime", "time", "duration")
#: Components of temporal values and points: numbers (``d.epochSeconds``, ``dur.days``, ``p.x``).
SCALAR_FIELDS = frozenset(
    name.lower()
    for name in [
        "year",
        "quarter",
        "month",
        "week",
        "weekYear",
        "dayOfQuarter",
        "quarterDay",
        "day",
        "ordinalDay",
        "dayOfWeek",
        "weekDay",
        "hour",
        "minute",
        "second",
        "millisecond",
        "microsecond",
        "nanosecond",
        "epochSeconds",
        "epochMillis",
        "timezone",
        "offsetMinutes",
        "offsetSeconds",
        "years",
        "quarters",
        "months",
        "weeks",
        "days",
        "hours",
        "minutes",
        "seconds",
        "milliseconds",
        "microseconds",
        "nanoseconds",
        "monthsOfYear",
        "monthsOfQuarter",
        "quartersOfYear",
        "daysOfWeek",
        "minutesOfHour",
        "secondsOfMinute",
        "millisecondsOfSecond",
        "microsecondsOfSecond",
        "nanosecondsOfSecond",
        "x",
        "y",
        "z",
        "longitude",
        "latitude",
        "height",
        "srid",
    ]
)
#: Functions that build a new string or list from their arguments (coalesce(), head() return
#: one of theirs): a comprehension projecting them makes a copy per element.
COPYING_FUNCTIONS = frozenset(
    name.lower()
    for name in [
        "toUpper",
        "toLower",
        "upper",
        "lower",
        "trim",
        "ltrim",
        "rtrim",
        "btrim",
        "replace",
        "reverse",
        "split",
        "toString",
        "toStringOrNull",
        "substring",
        "left",
        "right",
        "normalize",
        "toStringList",
        "toIntegerList",
        "toFloatList",
        "toBooleanList",
        "range",
    ]
)
#: Words that end an additive chain (they bind looser than ``+`` or start another clause).
_BOUNDARY_WORDS = frozenset(KEYWORDS - {"NULL", "TRUE", "FALSE", "ALL", "ANY", "COUNT", "COLLECT", "EXISTS"})
_BOUNDARY_SYMBOLS = frozenset({",", "|", ":", ";", "=", "<>", "!=", "<", ">", "<=", ">=", "=~", "->", "<-"})
_MULTIPLICATIVE = frozenset({"*", "/", "%", "^"})

SCALAR, CONST, VALUE = "scalar", "const", "value"


@dataclass(frozen=True)
class Step:
    """One counted growth step: its weight in doublings, where it is, what it is."""

    weight: int
    offset: int
    what: str
    multiplies: bool = False  # replace()/normalize(): a factor on the value itself


def doublings(factor: float) -> int:
    """The doublings a factor is worth (``ceil(log2(factor))``, 0 for no growth)."""
    return 0 if factor <= 1 else math.ceil(math.log2(factor))


class GrowthMeter:
    """Counts the growth steps of one statement (see the module docstring)."""

    def __init__(
        self,
        tokens: list[Token],
        parameters: Mapping[str, Any],
        *,
        scalar_properties: frozenset[str],
        max_list: int,
    ) -> None:
        self.tokens = tokens
        self.parameters = parameters
        self.scalar_properties = frozenset(p.lower() for p in scalar_properties)
        self.max_list = max_list
        self.scalar_names: set[str] = set()
        self.steps: list[Step] = []
        self._bindings: dict[str, list[str]] = {}
        self._groups: dict[int, str] = {}  # a parenthesised group's class, by its "("

    def measure(self) -> list[Step]:
        """The growth steps of the statement. Variables' sizes depend on one another
        (``count(x) AS a`` … ``a * 2 AS b``): measured until no more names are known scalar."""
        while True:
            self.steps, self._bindings, self._groups = [], {}, {}
            self._span(0, len(self.tokens))
            scalar = {name for name, kinds in self._bindings.items() if all(k == SCALAR for k in kinds)}
            if scalar <= self.scalar_names:
                return self.steps
            self.scalar_names |= scalar

    # -- spans and chains -------------------------------------------------------------------------
    def _span(self, lo: int, hi: int) -> str:
        """Measure tokens[lo:hi] (one bracket level, nested levels recursively); the class of
        the last chain in it (what a parenthesised group evaluates to)."""
        tokens = self.tokens
        terms: list[tuple[int, int]] = []
        ops: list[str] = []
        start = lo
        last = SCALAR
        pos = lo
        while pos < hi:
            token = tokens[pos]
            if token.is_symbol("(", "[", "{"):
                pos = self._group(pos) + 1
            elif token.is_name("CASE"):
                pos = self._case(pos, hi) + 1
            elif token.is_symbol("+", "||", "-") and pos > start:
                terms.append((start, pos))
                ops.append(token.text)
                pos += 1
                start = pos
            elif token.is_symbol("+", "-"):  # unary sign: part of the term
                pos += 1
            elif self._boundary(pos):
                if pos > start:
                    terms.append((start, pos))
                last = self._chain(terms, ops)
                self._bind_alias(pos, terms, last)
                terms, ops = [], []
                pos += 1
                start = pos
            else:
                pos += 1
        if hi > start:
            terms.append((start, hi))
        if terms:
            last = self._chain(terms, ops)
        return last

    def _boundary(self, pos: int) -> bool:
        token = self.tokens[pos]
        if token.kind is Kind.SYMBOL:
            return token.text in _BOUNDARY_SYMBOLS
        if token.kind is not Kind.NAME or token.text.upper() not in _BOUNDARY_WORDS:
            return False
        after_dot = pos > 0 and self.tokens[pos - 1].is_symbol(".")
        return not after_dot

    def _chain(self, terms: list[tuple[int, int]], ops: list[str]) -> str:
        """An additive chain ``t1 op t2 op …``: counts the computed terms that add up."""
        if not terms:
            return SCALAR
        classes = [self._term(lo, hi) for lo, hi in terms]
        kind = classes[0]
        computed = most = 1 if kind == VALUE else 0
        for op, cls in zip(ops, classes[1:], strict=False):
            if op == "-":  # numbers, dates and durations only
                kind, computed = SCALAR, 0
                continue
            computed += 1 if cls == VALUE else 0
            most = max(most, computed)
            kind = VALUE if VALUE in (kind, cls) else CONST if CONST in (kind, cls) else SCALAR
        if most >= 2:
            offset = self.tokens[terms[0][0]].offset
            self._add(doublings(most), offset, f"a concatenation of {most} computed strings or lists (+, ||)")
        return kind

    def _term(self, lo: int, hi: int) -> str:
        """The class of one term: a primary with its property accesses, subscripts, signs and
        multiplicative operators (measured already by :meth:`_span`)."""
        tokens = self.tokens
        depth = 0
        for pos in range(lo, hi):  # a product or quotient is a number (or a duration)
            token = tokens[pos]
            if token.is_symbol("(", "[", "{"):
                depth += 1
            elif token.is_symbol(")", "]", "}"):
                depth -= 1
            elif depth == 0 and token.is_symbol(*_MULTIPLICATIVE):
                return SCALAR
        while lo < hi and tokens[lo].is_symbol("+", "-"):
            if tokens[lo].text == "-":
                return SCALAR
            lo += 1
        if lo >= hi:
            return SCALAR
        first = tokens[lo]
        if first.is_name("CASE"):
            return VALUE
        end = self._primary_end(lo, hi)
        if end >= hi - 1 and end == lo:
            return self._atom(first)
        trailer = end + 1
        if trailer < hi:  # n.prop, d.epochSeconds, list[0]: the last access decides
            last = tokens[hi - 1]
            if tokens[hi - 2].is_symbol(".") and last.identifier is not None:
                name = last.identifier.lower()
                return SCALAR if name in self.scalar_properties or name in SCALAR_FIELDS else VALUE
            return VALUE
        if first.identifier is not None and end > lo and tokens[lo + 1].is_symbol("("):
            return self._call_class(lo, end)
        if first.identifier is not None and end > lo and tokens[lo + 1].is_symbol("."):
            return self._call_class(lo, end) if tokens[end].is_symbol(")") else VALUE
        if first.is_symbol("(", "[", "{"):
            inner = tokens[lo + 1 : end]
            if all(t.kind is not Kind.NAME and t.kind is not Kind.QUOTED for t in inner):
                return CONST
            return self._groups.get(lo, VALUE) if first.is_symbol("(") else VALUE
        return VALUE

    def _primary_end(self, lo: int, hi: int) -> int:
        """The last token of the primary at ``lo`` (a name, a dotted function call, a group)."""
        tokens = self.tokens
        pos = lo
        if tokens[pos].identifier is not None:
            while pos + 2 < hi and tokens[pos + 1].is_symbol(".") and tokens[pos + 2].identifier is not None:
                if pos + 3 < hi and tokens[pos + 3].is_symbol("("):
                    pos += 2
                    continue
                break
            if pos + 1 < hi and tokens[pos + 1].is_symbol("(", "{"):
                return _matching(tokens, pos + 1)
            return pos
        if tokens[pos].is_symbol("(", "[", "{"):
            return _matching(tokens, pos)
        if tokens[pos].is_name("CASE"):
            return self._case_end(pos, hi)
        return pos

    def _atom(self, token: Token) -> str:
        if token.kind is Kind.NUMBER or token.is_name("TRUE", "FALSE", "NULL"):
            return SCALAR
        if token.kind is Kind.STRING:
            return CONST
        if token.kind is Kind.PARAM:
            value = self.parameters.get(token.text)
            return SCALAR if isinstance(value, int | float | bool) or value is None else CONST
        if token.identifier is not None and token.identifier in self.scalar_names:
            return SCALAR
        return VALUE

    def _call_class(self, lo: int, close: int) -> str:
        """``name(...)`` / ``COUNT { … }``: fixed-size functions are scalar, literal-only calls
        constant, the rest may be as big as their arguments."""
        opener = next(i for i in range(lo, close + 1) if self.tokens[i].is_symbol("(", "{"))
        if _scalar_function(_call_name(self.tokens, opener - 1)):
            return SCALAR
        inner = self.tokens[opener + 1 : close]
        if all(t.kind is not Kind.NAME and t.kind is not Kind.QUOTED for t in inner):
            return CONST
        return VALUE

    # -- groups: calls, lists, maps, CASE ---------------------------------------------------------
    def _group(self, opener: int) -> int:
        """Measure a bracketed group; the index of its closing bracket."""
        tokens = self.tokens
        close = _matching(tokens, opener)
        before = tokens[opener - 1] if opener > 0 else None
        is_call = (
            tokens[opener].is_symbol("(")
            and before is not None
            and before.identifier is not None
            and not (opener > 1 and tokens[opener - 2].is_symbol(":"))
            and (
                before.kind is Kind.QUOTED
                or before.text.upper() not in KEYWORDS
                or before.is_name("ALL", "ANY")
            )
        )
        if is_call:
            self._call(opener, close)
        elif tokens[opener].is_symbol("[") and _starts_comprehension(tokens, opener):
            self._comprehension(opener, close)
        elif tokens[opener].is_symbol("[", "{") and not _is_subscript_like(tokens, opener):
            self._literal(opener, close)
        else:
            self._groups[opener] = self._span(opener + 1, close)
        return close

    def _case(self, pos: int, hi: int) -> int:
        end = self._case_end(pos, hi)
        self._span(pos + 1, end)
        return end

    def _case_end(self, pos: int, hi: int) -> int:
        """The ``END`` closing the ``CASE`` at ``pos`` (nested ones skipped)."""
        depth = nested = 0
        for index in range(pos + 1, hi):
            token = self.tokens[index]
            if token.is_symbol("(", "[", "{"):
                depth += 1
            elif token.is_symbol(")", "]", "}"):
                depth -= 1
            elif depth == 0 and token.is_name("CASE"):
                nested += 1
            elif depth == 0 and token.is_name("END") and not self.tokens[index - 1].is_symbol("."):
                if nested == 0:
                    return index
                nested -= 1
        return hi - 1

    def _call(self, opener: int, close: int) -> None:
        tokens = self.tokens
        name = _call_name(tokens, opener - 1).lower()
        before = len(self.steps)
        self._span(opener + 1, close)
        if name == "reduce":
            self._reduce(opener, close, before)
        elif name == "replace":
            self._replace(opener)
        elif name == "normalize":
            args = _arguments(tokens, opener)
            if args and not _literal_text(args[0]):
                form = args[1][0].text.upper() if len(args) > 1 and args[1] else "NFC"
                weight = 5 if form in ("NFKC", "NFKD") else 2
                self._add(weight, tokens[opener].offset, f"normalize() ({form} lengthens up to 18×)", True)

    def _replace(self, opener: int) -> None:
        tokens = self.tokens
        args = _arguments(tokens, opener)
        if len(args) != 3 or _literal_text(args[0]) is not None:
            return
        target, replacement = self._text(args[1]), self._text(args[2])
        if replacement is None:
            raise Refusal(
                "replace() with a replacement computed at run time can make a value as long as the "
                "product of two values' lengths, inside one expression that Neo4j's timeout and "
                "memory limit do not stop; use a literal or a parameter as the replacement",
                offset=tokens[opener].offset,
            )
        if not replacement:
            return
        factor = len(replacement) / len(target) if target else len(replacement) + 1
        self._add(doublings(factor), tokens[opener].offset, "replace() with a longer replacement", True)

    def _text(self, arg: list[Token]) -> str | None:
        literal = _literal_text(arg)
        if literal is not None:
            return literal
        if len(arg) == 1 and arg[0].kind is Kind.PARAM:
            value = self.parameters.get(arg[0].text)
            return value if isinstance(value, str) else None
        return None

    def _reduce(self, opener: int, close: int, before: int) -> None:
        """``reduce(acc = init, x IN list | body)``: the body's steps repeat once per element."""
        tokens = self.tokens
        at_in = next((i for i in range(opener, close) if tokens[i].is_name("IN")), None)
        bar = next((i for i in range(opener, close) if tokens[i].is_symbol("|")), None)
        if at_in is None or bar is None:
            return
        source = tokens[at_in + 1 : bar]
        variable = tokens[at_in - 1].identifier or ""
        self._bind(variable, SCALAR if _is_range(source) else VALUE)
        elements = self._elements(source)
        own = {variable, tokens[opener + 1].identifier or ""}
        if not _is_range(source) and not _is_list(source) and not self._outside(range(bar + 1, close), own):
            elements = 1  # nodes(p), relationships(p), keys(n): adds up data the row holds already
        body_start = tokens[bar].offset
        for index in range(before, len(self.steps)):
            step = self.steps[index]
            if step.offset < body_start:
                continue
            if step.multiplies:
                raise Refusal(
                    f"{step.what} inside reduce() applies again to its own result for every "
                    "element, so the value grows exponentially inside one expression, which "
                    "Neo4j's timeout and memory limit do not stop",
                    offset=step.offset,
                )
            self.steps[index] = Step(
                step.weight * max(1, doublings(elements)),
                step.offset,
                f"{step.what} repeated by reduce() over {elements:,} elements",
            )

    def _comprehension(self, opener: int, close: int) -> None:
        """``[x IN list WHERE … | projection]``: a projection that copies an outside value keeps
        one copy per element."""
        tokens = self.tokens
        variable = tokens[opener + 1].identifier or ""
        at_in = opener + 2
        stop = next(
            (i for i in range(at_in + 1, close) if tokens[i].is_name("WHERE") or tokens[i].is_symbol("|")),
            close,
        )
        source = tokens[at_in + 1 : stop]
        self._bind(variable, SCALAR if _is_range(source) else VALUE)
        before = len(self.steps)
        self._span(opener + 1, close)
        bar = next(
            (i for i in range(stop, close) if tokens[i].is_symbol("|") and _depth(tokens, opener, i) == 1),
            None,
        )
        if bar is None:
            return
        projection = range(bar + 1, close)
        calls = {_call_name(tokens, i - 1).lower() for i in projection if tokens[i].is_symbol("(")}
        grows = any(step.offset > tokens[bar].offset for step in self.steps[before:])
        copies = grows or bool(calls & COPYING_FUNCTIONS)
        outside = "range" in calls or self._outside(projection, {variable})
        if copies and outside and not self._is_scalar_expression(tokens[bar + 1 : close]):
            elements = self._elements(source)
            self._add(
                doublings(elements),
                tokens[opener].offset,
                f"a list comprehension copying an outside value for each of up to {elements:,} elements",
            )

    def _literal(self, opener: int, close: int) -> None:
        """A list or map literal: ``m`` computed elements make a value ``m`` times one of them.
        Property reads (``n.name``) together are at most the data of the nodes they read: one."""
        tokens = self.tokens
        self._span(opener + 1, close)
        computed = reads = 0
        for arg in _arguments(tokens, opener):
            value = arg
            if tokens[opener].is_symbol("{"):
                if arg and arg[0].is_symbol("."):  # n {.name}: the node's own property
                    continue
                colon = next((i for i, t in enumerate(arg) if t.is_symbol(":")), None)
                value = arg[colon + 1 :] if colon is not None else arg
            named = any(t.identifier is not None and not t.is_name("TRUE", "FALSE", "NULL") for t in value)
            if not named or self._is_scalar_expression(value):
                continue
            if len(value) == 3 and value[1].is_symbol(".") and value[0].identifier and value[2].identifier:
                reads = 1
            else:
                computed += 1
        computed += reads
        if computed >= 2:
            self._add(doublings(computed), tokens[opener].offset, "a list or map of computed values")

    def _is_scalar_expression(self, tokens: list[Token]) -> bool:
        if not tokens:
            return True
        meter = GrowthMeter(
            tokens, self.parameters, scalar_properties=self.scalar_properties, max_list=self.max_list
        )
        meter.scalar_names = self.scalar_names
        return meter._span(0, len(tokens)) == SCALAR

    # -- bindings ---------------------------------------------------------------------------------
    def _bind_alias(self, pos: int, terms: list[tuple[int, int]], kind: str) -> None:
        """``<expression> AS name``: the name has the expression's class."""
        tokens = self.tokens
        if not tokens[pos].is_name("AS") or pos + 1 >= len(tokens):
            return
        name = tokens[pos + 1].identifier
        if name is None:
            return
        if terms and _is_unwind_range(tokens, terms[0][0]):
            kind = SCALAR
        self._bind(name, kind)

    def _bind(self, name: str, kind: str) -> None:
        self._bindings.setdefault(name, []).append(kind)

    def _outside(self, positions: range, own: set[str]) -> bool:
        """Whether the tokens at ``positions`` read a variable other than ``own`` (nor a scalar)."""
        return any(
            self._is_variable(i)
            and self.tokens[i].identifier not in own
            and self.tokens[i].identifier not in self.scalar_names
            for i in positions
        )

    def _is_variable(self, pos: int) -> bool:
        tokens = self.tokens
        token = tokens[pos]
        if token.identifier is None or (token.kind is Kind.NAME and token.text.upper() in KEYWORDS):
            return False
        if pos > 0 and tokens[pos - 1].is_symbol(".", ":", "$"):
            return False
        # a function's name or a map key is not a variable; `n.name` reads the variable n
        return not (pos + 1 < len(tokens) and tokens[pos + 1].is_symbol("(", ":"))

    def _elements(self, source: list[Token]) -> int:
        """How many elements ``source`` (a range(), a list literal, anything else) may have."""
        if _is_range(source):
            args = _arguments(source, 1)
            bounds = [_integer(arg, self.parameters) for arg in args]
            if len(bounds) in (2, 3) and all(b is not None for b in bounds):
                start, end = bounds[0], bounds[1]
                step = bounds[2] if len(bounds) == 3 else 1
                assert start is not None and end is not None and step is not None
                return max(1, (end - start) // step + 1) if step else self.max_list
            return self.max_list
        if _is_list(source):
            return max(1, len(_arguments(source, 0)))
        return self.max_list

    def _add(self, weight: int, offset: int, what: str, multiplies: bool = False) -> None:
        if weight > 0:
            self.steps.append(Step(weight, offset, what, multiplies))


def _call_name(tokens: list[Token], end: int) -> str:
    """The dotted name ending at ``end`` (``duration.between``), or the token's text."""
    start = end
    while start >= 2 and tokens[start - 1].is_symbol(".") and tokens[start - 2].identifier is not None:
        start -= 2
    return ".".join(t.text for t in tokens[start : end + 1] if t.identifier is not None)


def _scalar_function(name: str) -> bool:
    lowered = name.lower()
    return lowered in SCALAR_FUNCTIONS or lowered.split(".", 1)[0] in TEMPORAL_PREFIXES


def _literal_text(arg: list[Token]) -> str | None:
    return arg[0].text if len(arg) == 1 and arg[0].kind is Kind.STRING else None


def _is_range(source: list[Token]) -> bool:
    return (
        len(source) >= 3
        and source[0].is_name("range")
        and source[1].is_symbol("(")
        and _matching(source, 1) == len(source) - 1
    )


def _is_list(source: list[Token]) -> bool:
    return bool(source) and source[0].is_symbol("[") and _matching(source, 0) == len(source) - 1


def _is_unwind_range(tokens: list[Token], start: int) -> bool:
    return start > 0 and tokens[start - 1].is_name("UNWIND") and tokens[start].is_name("range")


def _is_subscript_like(tokens: list[Token], opener: int) -> bool:
    """``x[...]``, ``n {…}`` after a name: a subscript or a map projection, not a literal (a map
    projection's entries are still literal-like: handled as a literal when after a name)."""
    if tokens[opener].is_symbol("{"):
        return False
    if opener == 0:
        return False
    before = tokens[opener - 1]
    if before.kind in (Kind.QUOTED, Kind.PARAM, Kind.STRING):
        return True
    if before.kind is Kind.NAME:
        return before.text.upper() not in KEYWORDS or before.is_name("END")
    return before.is_symbol(")", "]", "}")


def _depth(tokens: list[Token], opener: int, index: int) -> int:
    depth = 0
    for pos in range(opener, index):
        if tokens[pos].is_symbol("(", "[", "{"):
            depth += 1
        elif tokens[pos].is_symbol(")", "]", "}"):
            depth -= 1
    return depth
