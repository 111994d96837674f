// kpiComparison v1 — the plan of the comparison: the two periods, each cut at asOf.
// The computation kpiComparison (graph_service/products/computations/kaizen.py) reads
// equipmentOEE v1 (per shift) and equipmentKpis v2 (per period and per day) for both and tests
// each KPI's change.
WITH coalesce($asOf, datetime()) AS asOf
UNWIND [{period: 'before', start: $beforeFrom, end: $beforeTo},
        {period: 'after', start: $afterFrom, end: $afterTo}] AS p
RETURN p.period AS period,
       p.start AS periodStart,
       CASE WHEN p.end < asOf THEN p.end ELSE asOf END AS periodEnd,
       asOf,
       $equipmentId AS equipmentId,
       $alpha AS alpha
ORDER BY period DESC
