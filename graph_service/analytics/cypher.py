"""Read-only Cypher for analysts: ad-hoc statements and the named queries of ``queries/``.

Before a statement runs, the :class:`~graph_service.analytics.guard.StatementGuard` reads its
text and the plan ``EXPLAIN`` returns for it, and refuses what is not a read of the graph's data
(administration, other sessions, files, the network, runaway expressions, personal data for a
caller without ``personal-data``). It then runs in an explicit transaction opened in READ access
mode, so Neo4j itself refuses writes, and the transaction is rolled back, never committed. A
transaction timeout stops long statements on the server; rows are streamed and reading stops at
the row limit or the response-size limit (the answer says it was truncated). Errors carry
Neo4j's code, message and, for syntax errors, the position (line, column, offset).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import neo4j
import orjson
from neo4j.exceptions import ClientError, DriverError, Neo4jError
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point

from graph_service.analytics.guard import Refusal, StatementGuard
from graph_service.errors import DigiSpineError
from graph_service.store.failures import CONNECTION_FAILURES, store_failure

#: The driver's own failures (Neo4j unreachable or not answering), reported as `unavailable`.
_DRIVER_FAILURES: tuple[type[Exception], ...] = (DriverError, *CONNECTION_FAILURES)

if TYPE_CHECKING:
    from graph_service.ontology.model import DomainModel
    from graph_service.products.registry import ProductRegistry
    from graph_service.settings import Settings
    from graph_service.store import Neo4jStore

#: Properties the loaders keep for themselves (version tokens, an event's payload digest and
#: payload); never shown with a node or relationship. The ontology refuses ``_`` names, so no
#: ontology property is hidden by this.
INTERNAL_PREFIX = "_"
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")
#: What the guard puts before a statement to plan it without running it.
_EXPLAIN = "EXPLAIN "


class CypherError(DigiSpineError):
    """A statement refused or stopped; ``kind`` is ``syntax``, ``write``, ``refused`` (the guard:
    not a read of the graph's data, or personal data), ``too_large`` (one row over the response
    limit), ``memory`` (Neo4j's memory limit), ``timeout``, ``parameter``, ``unavailable`` or
    ``failed``."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        code: str | None = None,
        position: dict[str, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.position = position

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": str(self)}
        if self.code:
            out["code"] = self.code
        if self.position:
            out["position"] = self.position
        return out


@dataclass
class CypherResult:
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False
    #: Which limit truncated the rows: ``rows`` or ``bytes`` (None when complete).
    truncated_by: str | None = None
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = {
            "columns": self.columns,
            "rows": self.rows,
            "rowCount": len(self.rows),
            "truncated": self.truncated,
            "elapsedMs": round(self.elapsed_ms, 1),
        }
        if self.truncated_by:
            out["truncatedBy"] = self.truncated_by
        return out


class ReadOnlyCypher:
    """Runs statements read-only and guarded, with a timeout, a row limit and a response-size
    limit (the most a caller may ask)."""

    def __init__(
        self,
        store: Neo4jStore,
        *,
        timeout_s: float,
        max_rows: int,
        guard: StatementGuard,
        max_response_bytes: int,
        products: ProductRegistry | None = None,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.guard = guard
        self.max_response_bytes = max_response_bytes
        self.products = products

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: Neo4jStore,
        model: DomainModel,
        products: ProductRegistry | None = None,
    ) -> ReadOnlyCypher:
        """The runner every way in uses (``POST /cypher``, ``digispine query``): limits from the
        settings, the guard from the model."""
        return cls(
            store,
            timeout_s=settings.cypher_timeout_s,
            max_rows=settings.cypher_max_rows,
            guard=StatementGuard.from_model(
                model, max_list=settings.cypher_max_list, max_growth=settings.cypher_max_growth
            ),
            max_response_bytes=settings.cypher_max_response_bytes,
            products=products,
        )

    def run(
        self,
        query: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        personal_data: bool = False,
        limit: int | None = None,
        timeout_s: float | None = None,
        vetted: bool = False,
    ) -> CypherResult:
        """Run ``query``; ``limit``/``timeout_s`` may lower the configured ones, never raise them.
        Without ``personal_data`` the caller may not name personal-data properties, and nodes and
        relationships come back without them. ``vetted`` is for reviewed data-product queries
        only (see :meth:`StatementGuard.check_text`)."""
        if not query or not query.strip():
            raise CypherError("syntax", "the query is empty")
        params = dict(parameters or {})
        rows_wanted = self.max_rows if limit is None else max(0, min(limit, self.max_rows))
        timeout = self.timeout_s if timeout_s is None else max(0.001, min(timeout_s, self.timeout_s))
        hidden = (
            frozenset() if personal_data else frozenset(n.lower() for n in self.guard.personal_properties)
        )
        started = time.perf_counter()
        try:
            self.guard.check_text(query, params, personal_data=personal_data, vetted=vetted)
            with self.store.driver.session(
                database=self.store.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                tx = session.begin_transaction(timeout=timeout)
                try:
                    self._check_plan(tx, query, params, personal_data, timeout)
                    out = self._read(tx.run(query, params), rows_wanted, hidden)
                finally:
                    tx.rollback()  # read-only by construction: nothing is ever committed
        except Refusal as exc:
            raise CypherError(exc.kind, str(exc), position=_offset_position(query, exc.offset)) from None
        except Neo4jError as exc:
            raise _translate(exc, timeout) from None
        except _DRIVER_FAILURES as exc:  # unreachable, not answering: never a stack trace
            failure = store_failure(exc, self.store.uri)
            message = (
                str(failure) if failure else f"Neo4j at {self.store.uri} failed: {type(exc).__name__}: {exc}"
            )
            raise CypherError("unavailable", message) from None
        out.elapsed_ms = (time.perf_counter() - started) * 1000
        return out

    def _check_plan(
        self, tx: Any, query: str, params: dict[str, Any], personal_data: bool, timeout: float
    ) -> None:
        """Plan the statement (EXPLAIN runs nothing) and let the guard read the plan."""
        try:
            plan = tx.run(_EXPLAIN + query, params).consume().plan
        except Neo4jError as exc:  # positions point into the caller's text, not ours
            raise _translate(exc, timeout, shift=len(_EXPLAIN)) from None
        if not plan:  # fail closed: no plan, no run
            raise Refusal("Neo4j returned no plan for the statement; it is refused")
        self.guard.check_plan(plan, self.store.database, personal_data=personal_data)

    def _read(self, result: Any, rows_wanted: int, hidden: frozenset[str]) -> CypherResult:
        out = CypherResult(list(result.keys()))
        budget = self.max_response_bytes
        for record in result:
            if len(out.rows) >= rows_wanted:
                out.truncated, out.truncated_by = True, "rows"
                break
            row = [to_json(value, hidden) for value in record.values()]
            size = len(orjson.dumps(row, default=str)) + 1
            if size > budget:
                if not out.rows:
                    raise CypherError(
                        "too_large",
                        f"one row is {size:,} bytes of JSON, over the response limit of "
                        f"{self.max_response_bytes:,} bytes (DIGISPINE_CYPHER_MAX_RESPONSE_BYTES); "
                        "return less per row (aggregate, or UNWIND the list)",
                    )
                out.truncated, out.truncated_by = True, "bytes"
                break
            budget -= size
            out.rows.append(row)
        return out

    def run_named(
        self,
        name: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        version: str | None = None,
        personal_data: bool = False,
        limit: int | None = None,
        timeout_s: float | None = None,
    ) -> CypherResult:
        """Run the query of a data product (``name``, latest version unless ``version``) with
        its parameters checked and converted by their declared types."""
        from graph_service.products.errors import ParameterError, UnknownProduct
        from graph_service.products.runner import bind_parameters

        if self.products is None:
            raise CypherError("parameter", "no named queries are loaded")
        try:
            product = self.products.get(name, version) if version else self.products.latest(name)
            bound = bind_parameters(product, parameters)
        except (UnknownProduct, ParameterError) as exc:
            raise CypherError("parameter", str(exc)) from None
        return self.run(
            product.query, bound, personal_data=personal_data, limit=limit, timeout_s=timeout_s, vetted=True
        )


def _unshifted(message: str, by: int) -> str:
    """``message`` about ``EXPLAIN <query>`` with its position pointing into ``<query>``."""

    def shifted(match: re.Match[str]) -> str:
        line, column, offset = int(match[1]), int(match[2]), int(match[3])
        column = column - by if line == 1 else column
        return f"(line {line}, column {max(1, column)} (offset: {max(0, offset - by)}))"

    text = _POSITION.sub(shifted, message)
    if text == message:
        return message
    lines = text.replace(f'"{_EXPLAIN}', '"').split("\n")
    first_line = (found := _POSITION.search(text)) is not None and found[1] == "1"
    if first_line and lines[-1].strip() == "^" and lines[-1].startswith(" " * by):
        lines[-1] = lines[-1][by:]
    return "\n".join(lines)


def _offset_position(query: str, offset: int | None) -> dict[str, int] | None:
    if offset is None:
        return None
    before = query[:offset]
    return {"line": before.count("\n") + 1, "column": offset - (before.rfind("\n") + 1) + 1, "offset": offset}


def _translate(exc: Neo4jError, timeout_s: float, *, shift: int = 0) -> CypherError:
    code = exc.code or ""
    message = _unshifted(exc.message or str(exc), shift) if shift else exc.message or str(exc)
    if "MemoryPoolOutOfMemoryError" in code:
        return CypherError(
            "memory",
            f"the statement needed more memory than Neo4j allows a transaction: {message}",
            code=code,
        )
    if "TransactionTimedOut" in code or "Terminated" in code or "timed out" in message:
        return CypherError(
            "timeout", f"the query ran longer than {timeout_s:g} s and was stopped by Neo4j", code=code
        )
    if "AccessMode" in code or "Writing in read access mode" in message or "read access mode" in message:
        return CypherError("write", f"writes are refused here (read-only access): {message}", code=code)
    match = _POSITION.search(message)
    position = {"line": int(match[1]), "column": int(match[2]), "offset": int(match[3])} if match else None
    if isinstance(exc, ClientError) and ("Syntax" in code or "SemanticError" in code):
        return CypherError("syntax", message, code=code, position=position)
    return CypherError("failed", message, code=code, position=position)


def to_json(value: Any, hidden: frozenset[str] = frozenset()) -> Any:
    """A Neo4j value as JSON: nodes, relationships and paths as objects, temporal values as ISO
    8601 text, bytes as base64; the loaders' internal (``_``-prefixed) properties left out, and the
    properties named in ``hidden`` (lower case: personal data the caller may not see), whatever
    the label."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Node):
        return {
            "elementId": value.element_id,
            "labels": sorted(value.labels),
            "properties": _props(value, hidden),
        }
    if isinstance(value, Relationship):
        return {
            "elementId": value.element_id,
            "type": value.type,
            "start": value.start_node.element_id if value.start_node else None,
            "end": value.end_node.element_id if value.end_node else None,
            "properties": _props(value, hidden),
        }
    if isinstance(value, Path):
        return {
            "nodes": [to_json(n, hidden) for n in value.nodes],
            "relationships": [to_json(r, hidden) for r in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [to_json(v, hidden) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v, hidden) for k, v in value.items()}
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time | neo4j.time.Duration):
        return value.iso_format()
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Point):
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _props(entity: Node | Relationship, hidden: frozenset[str]) -> dict[str, Any]:
    return {
        k: to_json(v)
        for k, v in sorted(entity.items())
        if not k.startswith(INTERNAL_PREFIX) and k.lower() not in hidden
    }
