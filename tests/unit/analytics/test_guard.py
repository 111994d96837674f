"""The statement guard's rules on text and plans, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from graph_service.analytics.guard import Refusal, StatementGuard
from graph_service.analytics.lexer import Kind, tokenize

GUARD = StatementGuard(
    personal_properties=frozenset({"fullName", "email", "phone", "badgeId"}), max_list=10_000
)


def refused(query: str, *, personal_data: bool = False, **parameters: Any) -> Refusal:
    with pytest.raises(Refusal) as caught:
        GUARD.check_text(query, parameters, personal_data=personal_data)
    return caught.value


def passes(query: str, *, personal_data: bool = False, **parameters: Any) -> None:
    GUARD.check_text(query, parameters, personal_data=personal_data)


def test_the_lexer_decodes_literals_and_drops_comments() -> None:
    tokens = tokenize("RETURN 'a\\u0062' /* email */ AS `x``y`, $p // phone\n, 1..3")
    assert [(t.kind, t.text) for t in tokens] == [
        (Kind.NAME, "RETURN"), (Kind.STRING, "ab"), (Kind.NAME, "AS"), (Kind.QUOTED, "x`y"),
        (Kind.SYMBOL, ","), (Kind.PARAM, "p"), (Kind.SYMBOL, ","), (Kind.NUMBER, "1"),
        (Kind.SYMBOL, ".."), (Kind.NUMBER, "3"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        "SHOW TRANSACTIONS",
        "show users",
        "/* hi */ SHOW SETTINGS",
        "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
        "CREATE USER x SET PASSWORD 'secret123'",
        "CREATE OR REPLACE DATABASE x",
        "GRANT ROLE admin TO x",
        "USE system MATCH (n) RETURN n",
        "MATCH (n) CALL { USE system RETURN 1 AS x } RETURN x",
        "EXPLAIN MATCH (n) RETURN n",
        "PROFILE MATCH (n) RETURN n",
        "CYPHER runtime=slotted MATCH (n) RETURN n",
        "LOAD CSV FROM 'http://127.0.0.1/' AS l RETURN l",
        "CALL { LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l } RETURN l",
        "RETURN apoc.version()",
        "RETURN 'a",
    ],
)
def test_what_is_not_a_read_of_the_graph_is_refused_from_the_text(query: str) -> None:
    assert refused(query, personal_data=True).kind in ("refused", "syntax")


@pytest.mark.parametrize(
    "query",
    [
        "RETURN range(1, 5000000)",
        "RETURN size([x IN range(1, 50000000) | x])",
        "UNWIND range(1,50) AS i RETURN reduce(s='', x IN range(1,200000) | s + 'xxxxx')",
        "RETURN any(x IN range(1, $n) WHERE x = 0)",
        "UNWIND range(1, 100000000) + [1] AS x RETURN x",
        "RETURN [x IN range(1, 100) | [y IN range(1, 100) | x * y]]",
        "RETURN [x IN range(1, 100) WHERE any(y IN range(1, 100) WHERE y = x)]",
        "RETURN reduce(s = 'x', i IN range(1, 40) | s + s)",
        "MATCH (n) WITH collect(n.name) AS names RETURN reduce(s = '', x IN names | s + x)",
    ],
)
def test_expressions_the_timeout_cannot_stop_are_refused(query: str) -> None:
    assert refused(query, personal_data=True, n=10**9).kind == "refused"


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (l:Lot) RETURN l.lotNumber, l ORDER BY l.lotNumber LIMIT 10",
        "UNWIND range(1, 400000000) AS x WITH x WHERE x = -1 RETURN count(x)",
        "WITH [1, 2, 3] AS l RETURN l[0], l[-1], l[0..2], l[$i], [x IN l WHERE x > 1 | x * 2]",
        "MATCH p = (a)-[*1..3]->(b) RETURN reduce(w = 0, r IN relationships(p) | w + r.qty)",
        "WITH [3, 1] AS c RETURN [i IN range(0, size(c) - 1) | c[0]]",
        "MATCH (n) RETURN keys(n), labels(n), count { (n)-->() }, exists { (n)<--() }",
        "CALL db.labels() YIELD label RETURN label",
        "MATCH (c:Customer) WHERE c.name STARTS WITH 'B' RETURN c.name, toUpper(c.name)",
        "RETURN 'email' AS word, 1 AS `a`",
    ],
)
def test_ordinary_analytic_queries_pass(query: str) -> None:
    passes(query, personal_data=True, i=1)


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (c:Contact) RETURN c.fullName, c.email, c.phone",
        "MATCH (o:Operator) RETURN o.badgeId",
        "MATCH (c:Contact) WHERE c.email STARTS WITH 'a' RETURN count(c)",
        "MATCH (c:Contact) RETURN c ORDER BY c.fullName",
        "MATCH (c:Contact {email: 'a@b.c'}) RETURN c",
        "MATCH (c:Contact) RETURN c.`email`",
        "MATCH (c:Contact) RETURN c['email']",
        "MATCH (c:Contact) RETURN c['\\u0065mail']",
        "MATCH (c:Contact) RETURN c[$key]",
        "MATCH (c:Contact) UNWIND keys(c) AS k RETURN k, c[k]",
        "MATCH (c:Contact) RETURN properties(c)",
        "MATCH (c:Contact) RETURN c {.*}",
        "MATCH (c:Contact) RETURN toLower(substring(c.EMAIL, 0, 1))",
        "MATCH (c:Contact) RETURN [k IN keys(c) | c[k]]",
    ],
)
def test_personal_data_is_refused_without_the_role_in_every_disguise(query: str) -> None:
    refusal = refused(query, key="email")
    assert refusal.kind == "refused" and "personal-data" in str(refusal)
    passes(query, personal_data=True, key="email")


def test_a_parameter_naming_personal_data_is_refused_without_the_role() -> None:
    assert "$k" in str(refused("MATCH (c:Contact) RETURN c[$k]", k="phone"))


def plan(*operators: str, details: str = "") -> dict[str, Any]:
    node: dict[str, Any] = {"operatorType": operators[-1], "args": {"Details": details}, "children": []}
    for operator in reversed(operators[:-1]):
        node = {"operatorType": operator, "args": {}, "children": [node]}
    return node


def test_plans_pass_only_with_read_operators_on_the_callers_database() -> None:
    GUARD.check_plan(
        plan("ProduceResults@neo4j", "Expand(All)@neo4j", "NodeByLabelScan@neo4j"),
        "neo4j",
        personal_data=False,
    )
    for bad, kind in [
        (plan("ProduceResults@neo4j", "ShowTransactions@neo4j"), "refused"),
        (plan("ProduceResults@neo4j", "LoadCSV@neo4j"), "refused"),
        (plan("AdministrationCommand@system"), "refused"),
        (plan("ProduceResults@neo4j", "EmptyResult@neo4j", "Create@neo4j"), "write"),
        (plan("ProduceResults@neo4j", "SomethingNew@neo4j"), "refused"),
        (plan("ProduceResults@other", "AllNodesScan@other"), "refused"),
    ]:
        with pytest.raises(Refusal) as caught:
            GUARD.check_plan(bad, "neo4j", personal_data=True)
        assert caught.value.kind == kind, bad


def test_procedures_pass_only_from_the_allow_list() -> None:
    labels = plan("ProduceResults@neo4j", "ProcedureCall@neo4j", details="db.labels() :: (label :: STRING)")
    GUARD.check_plan(labels, "neo4j", personal_data=False)
    fulltext = plan("ProcedureCall@neo4j", details="db.index.fulltext.queryNodes($a, $b) :: (node :: NODE)")
    GUARD.check_plan(fulltext, "neo4j", personal_data=True)
    for details in ["dbms.listConnections() :: (x :: STRING)", "dbms.killConnections($ids)", ""]:
        with pytest.raises(Refusal, match="procedure"):
            GUARD.check_plan(plan("ProcedureCall@neo4j", details=details), "neo4j", personal_data=True)
    with pytest.raises(Refusal, match="personal-data"):
        GUARD.check_plan(fulltext, "neo4j", personal_data=False)


# -- values grown step by step (growth.py) ---------------------------------------------------------

GROWN = GUARD.max_growth + 1  # one doubling over the limit


def doubling(steps: int, step: str = "WITH s + s AS s") -> str:
    return "MATCH (b:Big) WITH b.text AS s " + " ".join([step] * steps) + " RETURN size(s)"


@pytest.mark.parametrize(
    "query",
    [
        doubling(30),
        doubling(GROWN),
        doubling(GROWN, "WITH s || s AS s"),
        doubling(GROWN, "WITH s AS a, s AS b WITH a + b AS s"),  # through aliases
        doubling(GROWN, "WITH [s, s] AS s"),  # nested lists are written out whole
        doubling(GROWN, "CALL (s) { WITH s + s AS t RETURN t } WITH t AS s"),  # in subqueries
        doubling(GROWN, "WITH replace(s, 'x', 'xx') AS s"),
        doubling(3, "WITH normalize(s, NFKD) AS s"),
        "UNWIND range(1, 100000) AS i WITH collect(i) AS c" + " WITH c + c AS c" * GROWN + " RETURN size(c)",
        "MATCH (b:Big) RETURN size(reduce(a = '', x IN range(1, 10000) | a + b.text))",
        "MATCH (b:Big) RETURN [x IN range(1, 10000) | toUpper(b.text)]",
        "RETURN [x IN range(1, 10000) | range(1, 10000)]",
    ],
)
def test_values_grown_step_by_step_are_refused(query: str) -> None:
    refusal = refused(query, personal_data=True)
    assert refusal.kind == "refused"
    assert "DIGISPINE_CYPHER_MAX_GROWTH" in str(refusal) and "memory" in str(refusal)


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (b:Big) RETURN replace(b.text, 'x', b.text)",  # the square of a length at once
        "MATCH (b:Big) RETURN reduce(a = 'x', i IN range(1, 40) | replace(a, 'x', 'xx'))",  # 2^40
        "MATCH (b:Big) RETURN reduce(a = 'x', i IN range(1, 40) | normalize(a + b.text, NFKD))",
    ],
)
def test_growth_that_multiplies_a_value_by_itself_is_refused_whatever_the_limit(query: str) -> None:
    generous = StatementGuard(personal_properties=frozenset(), max_list=10_000, max_growth=1_000)
    with pytest.raises(Refusal, match="replace|normalize"):
        generous.check_text(query, {}, personal_data=True)


@pytest.mark.parametrize(
    "query",
    [
        doubling(GUARD.max_growth),  # at the limit
        "MATCH (a)-[r]->(b) RETURN a.qty + b.qty, count(r) + count(a), toInteger(a.x) + size(b.name)",
        "MATCH (a) WITH count(a) AS n, sum(a.v) AS total WITH n + total AS both RETURN both + both + n",
        "UNWIND range(1, 10) AS i WITH i + i AS j RETURN j + j + i",
        "MATCH (o:Operation) RETURN o.actualStart + duration('PT1M'), date(o.actualEnd).year + 1",
        "MATCH (o:Operation) RETURN o.actualEnd.epochSeconds - o.actualStart.epochSeconds + o.sequence",
        "MATCH (c) RETURN c.firstName + ' ' + c.lastName + ' (' + c.code + ')' AS label",
        "MATCH (n) RETURN {name: n.name, code: n.code, city: n.city, orders: count(n)}, n {.name, .code}",
        "MATCH (n) WITH collect(n.name) AS names RETURN [x IN names | x + '!'], [x IN names WHERE x > 'a']",
        "RETURN reduce(s = '', x IN range(1, 10000) | s + 'x'), reduce(t = 0, x IN range(1, 100) | t + x)",
        "MATCH (n) RETURN replace(n.name, '-', ' '), replace(n.name, 'ab', 'c'), toUpper(n.name) + 'x'",
    ],
)
def test_numbers_and_ordinary_concatenations_pass(query: str) -> None:
    qty = StatementGuard(
        personal_properties=frozenset(), max_list=10_000, scalar_properties=frozenset({"qty", "sequence"})
    )
    qty.check_text(query, {}, personal_data=True)


def test_the_growth_limit_is_a_setting_and_numeric_properties_come_from_the_ontology() -> None:
    strict = StatementGuard(personal_properties=frozenset(), max_list=10_000, max_growth=0)
    with pytest.raises(Refusal, match="1 doublings"):
        strict.check_text("MATCH (n) RETURN n.a + n.b", {}, personal_data=True)
    strict.check_text("MATCH (n) RETURN n.a + 1, count(n) + sum(n.x)", {}, personal_data=True)
    numeric = StatementGuard(
        personal_properties=frozenset(), max_list=10_000, max_growth=0, scalar_properties=frozenset({"a"})
    )
    numeric.check_text("MATCH (n) RETURN n.a + n.a", {}, personal_data=True)


def test_the_ontologys_numeric_and_temporal_properties_are_not_growth() -> None:
    from pathlib import Path

    from graph_service.ontology.compiler import load_model

    guard = StatementGuard.from_model(load_model(Path(__file__).parents[3] / "ontology"), max_list=10_000)
    assert {"orderedQuantity", "shippedQuantity"} <= guard.scalar_properties
    assert "name" not in guard.scalar_properties
    strict = StatementGuard(guard.personal_properties, 10_000, 0, guard.scalar_properties)
    strict.check_text("MATCH (i) RETURN i.orderedQuantity + i.shippedQuantity", {}, personal_data=True)
    with pytest.raises(Refusal, match="MAX_GROWTH"):
        strict.check_text("MATCH (i) RETURN i.name + i.name", {}, personal_data=True)
