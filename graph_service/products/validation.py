"""Validates a product's output against its shape (pySHACL) and keeps the latest result per product."""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import neo4j.exceptions
import pyshacl
from rdflib import RDF, SH, Graph, Literal
from rdflib.collection import Collection
from rdflib.term import Node

from graph_service.errors import DigiSpineError
from graph_service.products.naming import local_name
from graph_service.products.registry import DataProduct
from graph_service.products.rows_rdf import describe_node, rows_to_graph
from graph_service.products.runner import ProductRunner, Row
from graph_service.products.shape import OutputShape
from graph_service.store.neo4j_store import timed_out

log = logging.getLogger(__name__)

#: How many violations a result shows (all are counted).
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Violation:
    """One failed constraint, located in the output: row index, field path, offending value."""

    row: int | None
    row_key: str
    field: str
    constraint: str
    message: str
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "rowKey": self.row_key,
            "field": self.field,
            "constraint": self.constraint,
            "message": self.message,
            "value": self.value,
        }


class ValidationStatus(enum.Enum):
    """Where a product's validation stands. Only CONFORMS and NONCONFORMING looked at the output:
    a validation that timed out or failed says nothing about it (``conforms`` is null then)."""

    CONFORMS = "CONFORMS"
    NONCONFORMING = "NONCONFORMING"
    TIMED_OUT = "TIMED_OUT"
    FAILED = "FAILED"
    NOT_CHECKED = "NOT_CHECKED"


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of one validation run of one product version. ``conforms`` and
    ``violation_count`` are None when the output could not be checked (see ``error``)."""

    product: str
    version: str
    conforms: bool | None
    checked_at: dt.datetime
    violation_count: int | None
    sample_violations: tuple[Violation, ...] = ()
    row_count: int = 0
    parameter_sets: int = 1
    error: str | None = None
    timed_out: bool = False

    @property
    def status(self) -> ValidationStatus:
        if self.timed_out:
            return ValidationStatus.TIMED_OUT
        if self.conforms is None:
            return ValidationStatus.FAILED
        return ValidationStatus.CONFORMS if self.conforms else ValidationStatus.NONCONFORMING

    def as_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "version": self.version,
            "status": self.status.value,
            "conforms": self.conforms,
            "checkedAt": self.checked_at.isoformat(),
            "violationCount": self.violation_count,
            "sampleViolations": [v.as_dict() for v in self.sample_violations],
            "rowCount": self.row_count,
            "parameterSets": self.parameter_sets,
            "error": self.error,
        }


def status_of(result: ValidationResult | None) -> ValidationStatus:
    """The status of a product whose latest result is ``result`` (None: never validated)."""
    return ValidationStatus.NOT_CHECKED if result is None else result.status


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def validate_rows(
    rows: Sequence[Mapping[str, Any]],
    shape: OutputShape,
    *,
    product: str,
    version: str,
    checked_at: dt.datetime | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> ValidationResult:
    """Check ``rows`` against ``shape``; pure apart from pySHACL's CPU time."""
    data = rows_to_graph(rows, shape.row)
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shape.graph, inference="none", allow_warnings=True, advanced=False
    )
    violations = sorted(_violations(report, rows, shape), key=_order)
    return ValidationResult(
        product=product,
        version=version,
        conforms=not violations,
        checked_at=checked_at or utc_now(),
        violation_count=len(violations),
        sample_violations=tuple(violations[:sample_size]),
        row_count=len(rows),
    )


def _order(violation: Violation) -> tuple[int, str, str]:
    return (violation.row if violation.row is not None else -1, violation.field, violation.constraint)


def _violations(report: Graph, rows: Sequence[Mapping[str, Any]], shape: OutputShape) -> Iterable[Violation]:
    # The first required scalar identifies a row best (its business key, by convention).
    key_field = next(
        (f.name for f in shape.row.fields if f.required and not f.many and f.node is None),
        shape.row.fields[0].name,
    )
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, result) in report:
            continue  # reported through its parent, as a leaf of the detail tree
        for leaf in _leaves(report, result):
            if report.value(leaf, SH.resultSeverity) != SH.Violation:
                continue
            row, inside = describe_node(str(report.value(leaf, SH.focusNode)))
            path = report.value(leaf, SH.resultPath)
            name = local_name(str(path)) if path is not None else ""
            value = report.value(leaf, SH.value)
            component = local_name(str(report.value(leaf, SH.sourceConstraintComponent)))
            key_value = rows[row].get(key_field) if row is not None and row < len(rows) else None
            yield Violation(
                row=row,
                row_key=f"{key_field}={key_value}" if key_value is not None else "",
                field=f"{inside}.{name}" if inside else name,
                constraint=component.removesuffix("ConstraintComponent"),
                message=_message(report, leaf, component, name, value),
                value=str(value) if isinstance(value, Literal) else None,
            )


def _leaves(report: Graph, result: Node) -> Iterable[Node]:
    details = list(report.objects(result, SH.detail))
    if not details:
        yield result
    for detail in details:
        yield from _leaves(report, detail)


def _message(report: Graph, result: Node, component: str, name: str, value: Node | None) -> str:
    source = report.value(result, SH.sourceShape)

    def constraint(predicate: Node) -> str:
        found = report.value(source, predicate) if source is not None else None
        return str(found) if found is not None else "?"

    shown = repr(str(value)) if isinstance(value, Literal) else "a value"
    messages = {
        "MinCountConstraintComponent": f"{name} is required but missing",
        "MaxCountConstraintComponent": f"{name} has more than {constraint(SH.maxCount)} value(s)",
        "DatatypeConstraintComponent": f"{name} must be {local_name(constraint(SH.datatype))}, got {shown}",
        "MinInclusiveConstraintComponent": f"{name} must be ≥ {constraint(SH.minInclusive)}, got {shown}",
        "MaxInclusiveConstraintComponent": f"{name} must be ≤ {constraint(SH.maxInclusive)}, got {shown}",
        "MinExclusiveConstraintComponent": f"{name} must be > {constraint(SH.minExclusive)}, got {shown}",
        "MaxExclusiveConstraintComponent": f"{name} must be < {constraint(SH.maxExclusive)}, got {shown}",
        "ClosedConstraintComponent": f"{name} is not a field of the output shape",
        "PatternConstraintComponent": f"{name} must match {constraint(SH.pattern)}, got {shown}",
    }
    if component == "InConstraintComponent" and source is not None:
        head = report.value(source, SH["in"])
        allowed = ", ".join(str(v) for v in Collection(report, head)) if head is not None else "?"
        return f"{name} must be one of {allowed}, got {shown}"
    return messages.get(component) or str(report.value(result, SH.resultMessage) or component)


# -- the latest result per product ----------------------------------------------------------------


@dataclass
class ValidationResults:
    """The latest result per product key; shared by the scheduler, the API and the catalog."""

    _results: dict[str, ValidationResult] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, product: DataProduct, result: ValidationResult) -> None:
        with self._lock:
            self._results[product.key] = result

    def get(self, product: DataProduct) -> ValidationResult | None:
        with self._lock:
            return self._results.get(product.key)


class ProductValidator:
    """Runs a product with its sample parameters and validates the union of the rows."""

    def __init__(
        self, runner: ProductRunner, results: ValidationResults, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        self.runner = runner
        self.results = results
        self.clock = clock

    def validate(self, product: DataProduct) -> ValidationResult:
        started = self.clock()
        try:
            samples = self.runner.sample_parameters(product)
            rows: list[Row] = []
            for parameters in samples:
                rows += self.runner.run(product, parameters)
        except (DigiSpineError, neo4j.exceptions.Neo4jError) as exc:
            result = self._not_checked(product, started, exc)
        else:
            result = validate_rows(
                rows, product.shape, product=product.name, version=product.version, checked_at=started
            )
            result = replace(result, parameter_sets=len(samples))
            log.info(
                "data product validated",
                extra={
                    "product": product.key,
                    "conforms": result.conforms,
                    "violations": result.violation_count,
                },
            )
        self.results.put(product, result)
        return result

    def _not_checked(self, product: DataProduct, started: dt.datetime, exc: Exception) -> ValidationResult:
        """A run that never got to check the output: timed out, or failed with ``exc``."""
        stopped = timed_out(exc)
        if stopped:
            limit = self.runner.timeout_s
            within = f"{limit:g} s" if limit else "the transaction timeout of Neo4j"
            error = f"TIMED_OUT: the product's query ran longer than {within} and was stopped"
        else:
            error = f"{type(exc).__name__}: {exc}"
        log.warning("data product validation could not run", extra={"product": product.key, "error": error})
        return ValidationResult(
            product.name, product.version, None, started, None, error=error, timed_out=stopped
        )
