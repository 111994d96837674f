"""The guard in front of read-only Cypher: what an analyst's statement may do, decided before it runs.

Neo4j Community has no role-based access control, so the service decides. Two passes, both must
agree, and anything they cannot classify is refused (fail closed):

1. **The text** (:meth:`StatementGuard.check_text`, on the tokens of :mod:`.lexer`): the statement
   starts with a data clause (no ``SHOW``/``TERMINATE``/``GRANT``/… administration, no
   ``EXPLAIN``/``PROFILE``/``CYPHER`` prefixes), never ``USE`` or ``LOAD CSV``; only built-in
   functions; ``range()`` bounded; iterating expressions (list comprehensions, ``reduce``,
   ``all/any/none/single``) not nested and ``reduce`` only over bounded lists — Neo4j evaluates one
   expression without ever looking at the timeout or the memory limit, so these are the runaways
   it cannot stop (docs/cypher.md has the measurements); values grown step by step bounded in
   doublings (:mod:`.growth`); and, for a caller without
   ``personal-data``, no personal-data property named anywhere and no generic property read.
2. **The plan** (:meth:`StatementGuard.check_plan`, on what ``EXPLAIN`` returns): every operator is
   on the read allow-list and on the caller's database, every procedure on a short allow-list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graph_service.analytics.lexer import Kind, LexError, Token, tokenize
from graph_service.security.personal import personal_properties

if TYPE_CHECKING:
    from graph_service.ontology.model import DomainModel

#: Clauses a statement may start with (writes among them are refused by the plan, as writes).
FIRST_CLAUSES = frozenset(
    {"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN", "CALL", "CREATE", "MERGE", "DELETE", "DETACH"}
    | {"SET", "REMOVE", "FOREACH", "FINISH"}
)
#: First words of administration commands (users, roles, databases, settings, other sessions).
ADMIN_WORDS = frozenset(
    {"SHOW", "TERMINATE", "GRANT", "DENY", "REVOKE", "START", "STOP", "ALTER", "DROP", "RENAME"}
    | {"ENABLE", "DEALLOCATE", "DRYRUN", "REALLOCATE", "USE"}
)
#: After CREATE: administration, not data.
ADMIN_OBJECTS = frozenset({"USER", "ROLE", "DATABASE", "COMPOSITE", "ALIAS", "SERVER", "OR"})
PREFIXES = frozenset({"EXPLAIN", "PROFILE", "CYPHER"})

#: The read operators of Neo4j 5 plans (the part before any "(All)"-like variant).
READ_OPERATORS = frozenset(
    {
        "ProduceResults", "Projection", "Filter", "Argument", "ArgumentTracker", "EmptyRow",
        "AllNodesScan", "NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan",
        "SubtractionNodeByLabelsScan", "NodeByIdSeek", "NodeByElementIdSeek", "NodeIndexSeek",
        "NodeUniqueIndexSeek", "NodeIndexSeekByRange", "NodeUniqueIndexSeekByRange", "NodeIndexScan",
        "NodeIndexContainsScan", "NodeIndexEndsWithScan", "MultiNodeIndexSeek",
        "AssertingMultiNodeIndexSeek", "DirectedRelationshipTypeScan", "UndirectedRelationshipTypeScan",
        "DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan",
        "DirectedRelationshipByIdSeek", "UndirectedRelationshipByIdSeek",
        "DirectedRelationshipByElementIdSeek", "UndirectedRelationshipByElementIdSeek",
        "DirectedRelationshipIndexSeek", "UndirectedRelationshipIndexSeek",
        "DirectedRelationshipIndexSeekByRange", "UndirectedRelationshipIndexSeekByRange",
        "DirectedRelationshipIndexScan", "UndirectedRelationshipIndexScan",
        "DirectedRelationshipIndexContainsScan", "UndirectedRelationshipIndexContainsScan",
        "DirectedRelationshipIndexEndsWithScan", "UndirectedRelationshipIndexEndsWithScan",
        "DirectedUnionRelationshipTypesScan", "UndirectedUnionRelationshipTypesScan",
        "NodeCountFromCountStore", "RelationshipCountFromCountStore",
        "Expand", "OptionalExpand", "VarLengthExpand", "BFSPruningVarLengthExpand",
        "ProjectEndpoints", "ShortestPath", "StatefulShortestPath", "Repeat", "Trail",
        "NullifyMetadata", "TriadicSelection", "TriadicBuild", "TriadicFilter",
        "Apply", "SemiApply", "AntiSemiApply", "LetSemiApply", "LetAntiSemiApply",
        "SelectOrSemiApply", "SelectOrAntiSemiApply", "LetSelectOrSemiApply",
        "LetSelectOrAntiSemiApply", "RollUpApply", "ConditionalApply", "AntiConditionalApply",
        "CartesianProduct", "NodeHashJoin", "ValueHashJoin", "NodeLeftOuterHashJoin",
        "NodeRightOuterHashJoin", "Optional", "Anti", "Union", "OrderedUnion", "Distinct",
        "OrderedDistinct", "EagerAggregation", "OrderedAggregation", "Aggregation", "Sort",
        "PartialSort", "Top", "PartialTop", "Top1WithTies", "Limit", "ExhaustiveLimit", "Skip",
        "Unwind", "CacheProperties", "Eager", "EmptyResult", "ProcedureCall",
    }
)  # fmt: skip
#: Operators of writes: refused as writes (kind ``write``), the rest as not allowed (``refused``).
WRITE_PREFIXES = (
    "Create", "Merge", "Set", "Delete", "DetachDelete", "Remove", "Foreach", "SubqueryForeach",
    "Transaction", "Drop", "DoNothingIfExists", "Lock", "Assert",
)  # fmt: skip

#: Procedures any analyst may call: the schema's names, nothing about the server or sessions.
PROCEDURES = frozenset(
    {
        "db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization",
        "db.schema.nodeTypeProperties", "db.schema.relTypeProperties", "dbms.components",
    }
)  # fmt: skip
#: Procedures that search property values through an index: only with ``personal-data``, since
#: an index may cover personal-data properties.
PERSONAL_PROCEDURES = frozenset({"db.index.fulltext.queryNodes", "db.index.fulltext.queryRelationships"})


def _words(text: str) -> list[str]:
    return text.split()


#: Neo4j 5's built-in functions (lower case; ``graph.*`` left out: it names other databases).
FUNCTIONS = frozenset(
    name.lower()
    for name in _words(
        "abs acos all any asin atan atan2 avg btrim ceil char_length character_length coalesce collect "
        "cos cot count date date.realtime date.statement date.transaction date.truncate datetime "
        "datetime.fromepoch datetime.fromepochmillis datetime.realtime datetime.statement "
        "datetime.transaction datetime.truncate degrees duration duration.between duration.inDays "
        "duration.inMonths duration.inSeconds e elementId endNode exists exp floor haversin head id "
        "isEmpty isNaN keys labels last left length localdatetime localdatetime.realtime "
        "localdatetime.statement localdatetime.transaction localdatetime.truncate localtime "
        "localtime.realtime localtime.statement localtime.transaction localtime.truncate log log10 "
        "lower ltrim max min nodes none normalize nullIf percentileCont percentileDisc pi point "
        "point.distance point.withinBBox properties radians rand randomUUID range reduce "
        "relationships replace reverse right round rtrim sign sin single size split sqrt startNode "
        "stdev stdevp substring sum tail tan time time.realtime time.statement time.transaction "
        "time.truncate timestamp toBoolean toBooleanList toBooleanOrNull toFloat toFloatList "
        "toFloatOrNull toInteger toIntegerList toIntegerOrNull toLower toString toStringList "
        "toStringOrNull toUpper trim type upper valueType vector.similarity.cosine "
        "vector.similarity.euclidean"
    )
)
#: Words that may stand before "(" without being a function call.
KEYWORDS = frozenset(
    _words(
        "MATCH OPTIONAL MERGE CREATE WHERE AND OR XOR NOT RETURN WITH UNWIND IN CALL DISTINCT ON CASE "
        "WHEN THEN ELSE END EXISTS COUNT COLLECT SHORTESTPATH ALLSHORTESTPATHS SHORTEST ALL ANY "
        "GROUPS PATH PATHS WALK TRAIL ACYCLIC REPEATABLE DIFFERENT ELEMENTS IS FOREACH BY SKIP LIMIT "
        "YIELD UNION AS SET DELETE DETACH REMOVE ORDER ASC DESC ASCENDING DESCENDING STARTS ENDS "
        "CONTAINS NULL TRUE FALSE FOR REQUIRE OF ROWS TRANSACTIONS NODES RELATIONSHIPS"
    )
)
#: Iterating expressions (besides list comprehensions): the work of each is one expression.
ITERATING = frozenset({"all", "any", "none", "single", "reduce"})
#: Ontology datatypes of fixed size: a property with only these is a number, date or boolean.
SCALAR_DATATYPES = frozenset({"decimal", "integer", "int", "long", "double", "float", "boolean"})
SCALAR_DATATYPES |= {"date", "dateTime", "time", "duration", "dateTimeStamp", "gYear"}
#: The default of DIGISPINE_CYPHER_MAX_GROWTH (docs/cypher.md has the measurements).
MAX_GROWTH = 10
#: Internal names that may hold personal data whatever the ontology marks: an event node's copy of
#: its payload (loaders/writer.py PAYLOAD_PROPERTY), and the change log's outbox label and the
#: property with its changes (loaders/changelog.py). Refused like ``ds:personalData`` properties.
PERSONAL_INTERNAL = frozenset({"_payload", "ChangeOutbox", "_changes"})
#: Lists whose length the text or the graph bounds: ``reduce`` may walk over these only.
BOUNDED_LISTS = frozenset({"range", "nodes", "relationships", "keys", "labels"})


class Refusal(Exception):
    """A statement the guard will not run; ``kind`` is ``refused``, ``write`` or ``syntax``."""

    def __init__(self, message: str, kind: str = "refused", offset: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.offset = offset


@dataclass(frozen=True)
class StatementGuard:
    """The rules for one deployment: the personal-data property names, the list bound, the
    growth bound (doublings) and the properties known to hold numbers, dates or booleans."""

    personal_properties: frozenset[str]
    max_list: int
    max_growth: int = MAX_GROWTH
    scalar_properties: frozenset[str] = frozenset()

    @classmethod
    def from_model(cls, model: DomainModel, *, max_list: int, max_growth: int = MAX_GROWTH) -> StatementGuard:
        """The guard for ``model``: its properties marked ``ds:personalData`` are personal; a
        property name whose every declaration is numeric, temporal or boolean is scalar."""
        personal = personal_properties(model)
        types: dict[str, set[str]] = {}
        for prop in model.datatype_properties.values():
            types.setdefault(prop.name, set()).add(prop.xsd.rpartition(":")[2])
        scalar = frozenset(name for name, xsd in types.items() if xsd <= SCALAR_DATATYPES)
        return cls(personal, max_list, max_growth, scalar)

    # -- the text ---------------------------------------------------------------------------------
    def check_text(
        self, query: str, parameters: Mapping[str, Any], *, personal_data: bool, vetted: bool = False
    ) -> None:
        """Refuse (raise :class:`Refusal`) what the text alone shows is not a read of the graph.
        ``vetted`` text (a reviewed data product's query, typed parameters) skips the expression
        bounds and the run-time subscript rule (its lists are indexed by position); every other
        rule, personal-data names included, holds for it too."""
        try:
            tokens = tokenize(query)
        except LexError as exc:
            raise Refusal(f"the statement cannot be read: {exc}", "syntax", exc.offset) from None
        if not tokens:
            raise Refusal("the statement is empty", "syntax")
        for index in range(len(tokens)):
            _no_other_database_or_files(tokens, index)
        _first_clause(tokens)
        for index, token in enumerate(tokens):
            if token.is_symbol("(") and index > 0:
                self._call(tokens, index, parameters, bounded=not vetted)
            if not vetted and token.is_symbol("[") and _starts_comprehension(tokens, index):
                _not_nested(tokens, index, f"the list comprehension at offset {token.offset}")
        if not vetted:
            self._bounded_growth(tokens, parameters)
        if not personal_data:
            self._no_personal_data(tokens, parameters, subscripts=not vetted)

    def _call(self, tokens: list[Token], index: int, parameters: Mapping[str, Any], *, bounded: bool) -> None:
        """``name(`` : a built-in function, bounded when it iterates; procedures are the plan's."""
        start, name = _qualified_name(tokens, index - 1)
        if name is None or (start > 0 and tokens[start - 1].is_name("CALL")):
            return
        lowered = name.lower()
        if lowered not in FUNCTIONS:
            if "." not in name and name.upper() in KEYWORDS:
                return
            raise Refusal(
                f"the function {name}() is not one of Neo4j's built-in functions; only those may "
                "be called here (user-defined functions may reach the network, files or the server)"
            )
        if not bounded:
            return
        if lowered == "range" and not _after_unwind(tokens, start):
            self._bounded_range(tokens, index, parameters)
        if lowered in ITERATING and _iterates(tokens, index):
            _not_nested(tokens, start, f"{name}() at offset {tokens[start].offset}")
            if lowered == "reduce":
                _reduce_is_bounded(tokens, index)

    def _bounded_range(self, tokens: list[Token], index: int, parameters: Mapping[str, Any]) -> None:
        """``range(a, b[, step])``: literal or parameter bounds at most ``max_list`` apart, or the
        index range of a list the row already holds: ``range(0, size(list) - 1)``."""
        args = _arguments(tokens, index)
        bounds = [_integer(arg, parameters) for arg in args]
        why = (
            "range() builds its whole list inside one expression, where Neo4j checks neither the "
            "timeout nor the memory limit; here its bounds are integer literals or parameters at "
            f"most {self.max_list:,} apart (DIGISPINE_CYPHER_MAX_LIST), or 0 and size(list) - 1; "
            "`UNWIND range(...) AS x` has no such bound, the timeout stops it"
        )
        start = bounds[0] if bounds else None
        small_start = start is not None and abs(start) <= self.max_list
        if len(args) == 2 and small_start and _size_of_list(args[1], self.max_list):
            return
        if len(args) not in (2, 3) or any(b is None for b in bounds):
            raise Refusal(why, offset=tokens[index].offset)
        end, step = bounds[1], bounds[2] if len(bounds) == 3 else 1
        assert start is not None and end is not None and step is not None
        count = 0 if step == 0 else max(0, (end - start) // step + 1)
        if step == 0 or count > self.max_list:
            raise Refusal(f"{why}; this one spans {count:,}", offset=tokens[index].offset)

    def _bounded_growth(self, tokens: list[Token], parameters: Mapping[str, Any]) -> None:
        """At most ``max_growth`` doublings of a string or list in the whole statement."""
        from graph_service.analytics.growth import GrowthMeter  # growth.py builds on this module

        meter = GrowthMeter(
            tokens, parameters, scalar_properties=self.scalar_properties, max_list=self.max_list
        )
        steps = meter.measure()
        total = sum(step.weight for step in steps)
        if total <= self.max_growth:
            return
        worst = sorted(steps, key=lambda step: -step.weight)[:3]
        where = "; ".join(f"{step.what} at offset {step.offset} ({step.weight})" for step in worst)
        raise Refusal(
            f"the statement can grow a string or list {total} doublings (2^{total} times), over the "
            f"limit of {self.max_growth} (DIGISPINE_CYPHER_MAX_GROWTH): {where}. A value that grows "
            "with each step is built inside single expressions, where Neo4j's timeout does not stop "
            "it, and it can exhaust Neo4j's memory and take the server down. Numbers do not count "
            "(count(), sum(), toInteger(), size(), numeric properties); nor does adding a literal",
            offset=worst[0].offset,
        )

    # -- personal data ----------------------------------------------------------------------------
    def _no_personal_data(
        self, tokens: list[Token], parameters: Mapping[str, Any], *, subscripts: bool
    ) -> None:
        personal = {name.lower(): name for name in self.personal_properties | PERSONAL_INTERNAL}
        for index, token in enumerate(tokens):
            named = token.identifier if token.kind is not Kind.STRING else token.text
            if named is not None and named.lower() in personal:
                raise self._personal(f"{personal[named.lower()]} is personal data")
            if token.kind is Kind.PARAM and _param_names_personal(parameters.get(token.text), personal):
                raise self._personal(f"the parameter ${token.text} names personal data")
            if token.is_symbol(".") and index + 1 < len(tokens) and tokens[index + 1].is_symbol("*"):
                raise self._personal("`{.*}` reads every property, personal data among them")
            if token.is_name("properties") and _is_call(tokens, index):
                raise self._personal("properties() reads every property, personal data among them")
            if subscripts and token.is_symbol("[") and _is_subscript(tokens, index):
                _literal_subscript(tokens, index, parameters, self._personal)

    @staticmethod
    def _personal(what: str) -> Refusal:
        return Refusal(
            f"{what}: the role `personal-data` is needed to read, filter or sort on it (or on "
            "properties chosen at run time)"
        )

    # -- the plan ---------------------------------------------------------------------------------
    def check_plan(self, plan: Mapping[str, Any], database: str, *, personal_data: bool) -> None:
        """Refuse a plan with an operator off the read allow-list, on another database, or
        calling a procedure off the allow-list."""
        for operator in _operators(plan):
            kind = str(operator.get("operatorType", ""))
            base, _, where = kind.partition("@")
            base = base.split("(", 1)[0]
            if where and where != database:
                raise Refusal(f"`{kind}` runs on the database {where!r}; only {database!r} is read here")
            if base not in READ_OPERATORS:
                if base.startswith(WRITE_PREFIXES):
                    raise Refusal(f"writes are refused here (read-only access): the plan has {base}", "write")
                raise Refusal(
                    f"the operator {base} is not a read of the graph's data (administration, other "
                    "sessions, files or the network); it is refused here"
                )
            if base == "ProcedureCall":
                _allowed_procedure(str(operator.get("args", {}).get("Details", "")), personal_data)


# -- text helpers ---------------------------------------------------------------------------------


def _first_clause(tokens: list[Token]) -> None:
    first = tokens[0]
    word = first.text.upper() if first.kind is Kind.NAME else ""
    if word in PREFIXES:
        raise Refusal(
            f"{word} is not accepted here: the statement runs as it is written (the service plans "
            "it with EXPLAIN itself)"
        )
    admin = word in ADMIN_WORDS or (
        word == "CREATE" and len(tokens) > 1 and tokens[1].is_name(*ADMIN_OBJECTS)
    )
    if admin:
        raise Refusal(
            f"{word} starts an administration command (users, roles, databases, settings, other "
            "sessions' transactions); only reads of the graph's data run here"
        )
    if word not in FIRST_CLAUSES:
        raise Refusal(
            f"a statement starts with a clause such as MATCH or RETURN, not {first.text!r}",
            "syntax",
            first.offset,
        )


def _no_other_database_or_files(tokens: list[Token], index: int) -> None:
    token = tokens[index]
    if token.is_name("USE") and not _is_property(tokens, index):
        raise Refusal("USE selects another database; only the graph's own database is read here")
    if token.is_name("LOAD") and index + 1 < len(tokens) and tokens[index + 1].is_name("CSV"):
        raise Refusal("LOAD CSV reads files or URLs (network access); it is refused here")


def _qualified_name(tokens: list[Token], end: int) -> tuple[int, str | None]:
    """The dotted name ending at ``end`` (``db.index.fulltext.queryNodes``) and where it starts."""
    if tokens[end].identifier is None:
        return end, None
    start = end
    while start >= 2 and tokens[start - 1].is_symbol(".") and tokens[start - 2].identifier is not None:
        start -= 2
    name = ".".join(t.text for t in tokens[start : end + 1] if t.identifier is not None)
    return start, name


def _is_property(tokens: list[Token], index: int) -> bool:
    return index > 0 and tokens[index - 1].is_symbol(".", ":")


def _is_call(tokens: list[Token], index: int) -> bool:
    return index + 1 < len(tokens) and tokens[index + 1].is_symbol("(") and not _is_property(tokens, index)


def _after_unwind(tokens: list[Token], start: int) -> bool:
    """``UNWIND range(...) AS x``: rows the timeout stops (the list is never built whole)."""
    if start == 0 or not tokens[start - 1].is_name("UNWIND"):
        return False
    close = _matching(tokens, start + 1)
    return close + 1 < len(tokens) and tokens[close + 1].is_name("AS")


def _matching(tokens: list[Token], index: int) -> int:
    """The index of the bracket closing the one at ``index`` (len(tokens) when unclosed)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth = 0
    for pos in range(index, len(tokens)):
        token = tokens[pos]
        if token.kind is Kind.SYMBOL and token.text in pairs:
            depth += 1
        elif token.kind is Kind.SYMBOL and token.text in pairs.values():
            depth -= 1
            if depth == 0:
                return pos
    return len(tokens)


def _arguments(tokens: list[Token], index: int) -> list[list[Token]]:
    """The top-level, comma-separated arguments of the call whose "(" is at ``index``."""
    close = _matching(tokens, index)
    args: list[list[Token]] = [[]]
    pos = index + 1
    while pos < close:
        token = tokens[pos]
        if token.is_symbol(","):
            args.append([])
        elif token.is_symbol("(", "[", "{"):
            inner = _matching(tokens, pos)
            args[-1].extend(tokens[pos : inner + 1])
            pos = inner
        else:
            args[-1].append(token)
        pos += 1
    return [a for a in args if a] if any(args) else []


def _integer(arg: list[Token], parameters: Mapping[str, Any]) -> int | None:
    sign = 1
    if len(arg) == 2 and arg[0].is_symbol("-", "+"):
        sign = -1 if arg[0].text == "-" else 1
        arg = arg[1:]
    if len(arg) != 1:
        return None
    token = arg[0]
    if token.kind is Kind.NUMBER:
        try:
            return sign * int(token.text.replace("_", ""), 0)
        except ValueError:
            return None
    value = parameters.get(token.text) if token.kind is Kind.PARAM else None
    return sign * value if isinstance(value, int) and not isinstance(value, bool) else None


def _size_of_list(arg: list[Token], most: int) -> bool:
    """``size(name)``, optionally ``± n`` with a small literal ``n``: a list the row holds."""
    shape = len(arg) >= 4 and arg[0].is_name("size") and arg[1].is_symbol("(") and arg[3].is_symbol(")")
    if not shape or arg[2].identifier is None:
        return False
    rest = arg[4:]
    if not rest:
        return True
    return (
        len(rest) == 2
        and rest[0].is_symbol("-", "+")
        and rest[1].kind is Kind.NUMBER
        and (_integer(rest[1:], {}) or 0) <= most
    )


def _starts_comprehension(tokens: list[Token], index: int) -> bool:
    """``[x IN ...`` : a list comprehension (the work of it is one expression)."""
    return (
        index + 2 < len(tokens)
        and tokens[index + 1].identifier is not None
        and tokens[index + 2].is_name("IN")
        and not _is_subscript(tokens, index)
    )


def _iterates(tokens: list[Token], index: int) -> bool:
    """``all(x IN ...`` / ``reduce(acc = .., x IN ...`` rather than, say, a path selector."""
    return any(t.is_name("IN") for t in tokens[index + 1 : _matching(tokens, index)])


def _not_nested(tokens: list[Token], start: int, what: str) -> None:
    """Refuse an iterating expression that sits inside another one: the work multiplies within
    one row, where Neo4j never checks the timeout."""
    for pos in range(start - 1, -1, -1):
        token = tokens[pos]
        opener = None
        if token.is_symbol("[") and _starts_comprehension(tokens, pos):
            opener = pos
        elif token.is_symbol("(") and pos > 0 and tokens[pos - 1].is_name(*ITERATING):
            opener = pos if _iterates(tokens, pos) else None
        if opener is not None and _matching(tokens, opener) > start:
            raise Refusal(
                f"{what} is nested in another iterating expression (list comprehension, reduce, "
                "all/any/none/single): Neo4j evaluates that as one expression without checking the "
                "timeout, so the work cannot be stopped; UNWIND the outer list instead"
            )


def _reduce_is_bounded(tokens: list[Token], index: int) -> None:
    """``reduce(acc = init, x IN list | body)``: ``list`` bounded, ``acc`` used once in ``body``."""
    close = _matching(tokens, index)
    inner = tokens[index + 1 : close]
    accumulator = inner[0].identifier if inner else None
    at_in = next((i for i, t in enumerate(inner) if t.is_name("IN")), None)
    bar = next((i for i, t in enumerate(inner) if t.is_symbol("|")), None)
    why = (
        "reduce() runs as one expression, which the timeout and memory limit do not stop: it may "
        "only walk over range(), nodes(), relationships(), keys(), labels() or a list literal, and "
        "use its accumulator once (aggregations such as sum() and collect() do the rest)"
    )
    if accumulator is None or at_in is None or bar is None or at_in + 1 >= len(inner):
        raise Refusal(why, offset=tokens[index].offset)
    source = inner[at_in + 1]
    bounded = source.is_symbol("[") or (
        source.kind is Kind.NAME
        and source.text.lower() in BOUNDED_LISTS
        and at_in + 2 < len(inner)
        and inner[at_in + 2].is_symbol("(")
        and _matching(inner, at_in + 2) == bar - 1
    )
    uses = sum(1 for pos, t in enumerate(inner[bar + 1 :], bar + 1) if _refers(inner, pos, accumulator))
    if not bounded or uses > 1:
        raise Refusal(why, offset=tokens[index].offset)


def _refers(tokens: list[Token], pos: int, name: str) -> bool:
    return tokens[pos].identifier == name and not _is_property(tokens, pos)


def _is_subscript(tokens: list[Token], index: int) -> bool:
    """``x[...]`` (an index or key) rather than a list literal or a relationship pattern."""
    if index == 0:
        return False
    before = tokens[index - 1]
    if before.kind is Kind.QUOTED or before.kind is Kind.PARAM or before.kind is Kind.STRING:
        return True
    if before.kind is Kind.NAME:
        return before.text.upper() not in KEYWORDS or before.is_name("END")
    return before.is_symbol(")", "]", "}")


def _literal_subscript(tokens: list[Token], index: int, parameters: Mapping[str, Any], refuse: Any) -> None:
    """A subscript a caller without personal-data may use: integer positions and slices, and keys
    that are literals (checked against personal data like any other name)."""
    inside = tokens[index + 1 : _matching(tokens, index)]
    allowed = all(
        t.kind in (Kind.NUMBER, Kind.STRING)
        or t.is_symbol("-", "..")
        or (t.kind is Kind.PARAM and isinstance(parameters.get(t.text), int | str))
        for t in inside
    )
    if not allowed:
        raise refuse(
            f"the subscript at offset {tokens[index].offset} is computed at run time and may read a "
            "personal-data property (n[key]); literal keys and positions are accepted"
        )


def _param_names_personal(value: Any, personal: Mapping[str, str]) -> bool:
    if isinstance(value, str):
        return value.lower() in personal
    if isinstance(value, list | tuple):
        return any(_param_names_personal(v, personal) for v in value)
    if isinstance(value, dict):
        return any(
            _param_names_personal(k, personal) or _param_names_personal(v, personal) for k, v in value.items()
        )
    return False


# -- plan helpers ---------------------------------------------------------------------------------


def _operators(plan: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    stack = [plan]
    while stack:
        operator = stack.pop()
        yield operator
        stack.extend(operator.get("children", ()))


def _allowed_procedure(details: str, personal_data: bool) -> None:
    name = details.split("(", 1)[0].strip()
    if name in PROCEDURES or (personal_data and name in PERSONAL_PROCEDURES):
        return
    if name in PERSONAL_PROCEDURES:
        raise Refusal(
            f"{name} searches property values, personal data among them: the role `personal-data` "
            "is needed to call it"
        )
    raise Refusal(
        f"the procedure {name or details!r} is not allowed here: only {', '.join(sorted(PROCEDURES))} "
        "may be called (others reach the server's administration, other sessions, files or the network)"
    )
