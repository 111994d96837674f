"""Read-only Cypher for analysts: ad-hoc statements and the named queries of ``queries/``.

Every statement runs in an explicit transaction opened in READ access mode, so Neo4j itself
refuses writes (data and schema), and the transaction is rolled back, never committed. A
transaction timeout stops long statements on the server; rows are streamed and reading stops at
the row limit (the answer says it was truncated). Errors carry Neo4j's code, message and, for
syntax errors, the position (line, column, offset).
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
from neo4j.exceptions import ClientError, DriverError, Neo4jError
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point

from graph_service.errors import DigiSpineError

if TYPE_CHECKING:
    from graph_service.products.registry import ProductRegistry
    from graph_service.store import Neo4jStore

#: Properties the loaders keep for themselves (version tokens); never shown.
INTERNAL_PREFIX = "_v"
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")


class CypherError(DigiSpineError):
    """A statement Neo4j refused or stopped; ``kind`` is ``syntax``, ``write``, ``timeout``,
    ``parameter``, ``unavailable`` or ``failed``."""

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
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "rows": self.rows,
            "rowCount": len(self.rows),
            "truncated": self.truncated,
            "elapsedMs": round(self.elapsed_ms, 1),
        }


class ReadOnlyCypher:
    """Runs statements read-only, with a timeout and a row limit (the most a caller may ask)."""

    def __init__(
        self,
        store: Neo4jStore,
        *,
        timeout_s: float,
        max_rows: int,
        products: ProductRegistry | None = None,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.products = products

    def run(
        self,
        query: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        timeout_s: float | None = None,
    ) -> CypherResult:
        """Run ``query``; ``limit``/``timeout_s`` may lower the configured ones, never raise them."""
        if not query or not query.strip():
            raise CypherError("syntax", "the query is empty")
        rows_wanted = self.max_rows if limit is None else max(0, min(limit, self.max_rows))
        timeout = self.timeout_s if timeout_s is None else max(0.001, min(timeout_s, self.timeout_s))
        started = time.perf_counter()
        try:
            with self.store.driver.session(
                database=self.store.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                tx = session.begin_transaction(timeout=timeout)
                try:
                    result = tx.run(query, dict(parameters or {}))
                    columns = list(result.keys())
                    out = CypherResult(columns)
                    for record in result:
                        if len(out.rows) >= rows_wanted:
                            out.truncated = True
                            break
                        out.rows.append([to_json(value) for value in record.values()])
                finally:
                    tx.rollback()  # read-only by construction: nothing is ever committed
        except Neo4jError as exc:
            raise _translate(exc, timeout) from None
        except DriverError as exc:  # unreachable server, expired session: never a stack trace
            raise CypherError(
                "unavailable", f"Neo4j at {self.store.uri} cannot be reached: {type(exc).__name__}: {exc}"
            ) from None
        out.elapsed_ms = (time.perf_counter() - started) * 1000
        return out

    def run_named(
        self,
        name: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        version: str | None = None,
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
        return self.run(product.query, bound, limit=limit, timeout_s=timeout_s)


def _translate(exc: Neo4jError, timeout_s: float) -> CypherError:
    code = exc.code or ""
    message = exc.message or str(exc)
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


def to_json(value: Any) -> Any:
    """A Neo4j value as JSON: nodes, relationships and paths as objects, temporal values as ISO
    8601 text, bytes as base64; the loaders' internal version properties left out."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Node):
        return {"elementId": value.element_id, "labels": sorted(value.labels), "properties": _props(value)}
    if isinstance(value, Relationship):
        return {
            "elementId": value.element_id,
            "type": value.type,
            "start": value.start_node.element_id if value.start_node else None,
            "end": value.end_node.element_id if value.end_node else None,
            "properties": _props(value),
        }
    if isinstance(value, Path):
        return {
            "nodes": [to_json(n) for n in value.nodes],
            "relationships": [to_json(r) for r in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
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


def _props(entity: Node | Relationship) -> dict[str, Any]:
    return {k: to_json(v) for k, v in sorted(entity.items()) if not k.startswith(INTERNAL_PREFIX)}
