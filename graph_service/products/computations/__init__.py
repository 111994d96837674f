"""Computed data products: a Python step after the product's Cypher.

Some figures do not belong in Cypher: a p-value needs the t distribution, and a weekly trend of
every KPI should reuse the products that define those KPIs rather than copy their queries. A
descriptor names such a step with ``computation: <name>``; its query then returns the plan (one
row per period to evaluate, with the parameters), and the step gets those rows, the bound
parameters and a way to run other products, and returns the product's rows, which are validated
against the output shape like any other. The step is pure apart from the product calls.
"""

from __future__ import annotations

from collections.abc import Mapping

from graph_service.products.computations import kaizen
from graph_service.products.computations.base import Computation, ProductCalls, Row

__all__ = ["COMPUTATIONS", "Computation", "ProductCalls", "Row"]

#: ``computation:`` name in a descriptor → the step.
COMPUTATIONS: Mapping[str, Computation] = {
    "kpiTrend": kaizen.kpi_trend,
    "kpiComparison": kaizen.kpi_comparison,
}
