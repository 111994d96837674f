// kpiTrend v1 — the plan of the trend: one row per ISO week (Monday 00:00 UTC) overlapping
// [from, to) cut at asOf, each with its window (the first and last week cut to the period).
// The computation kpiTrend (graph_service/products/computations/kaizen.py) runs equipmentOEE v1
// and equipmentKpis v2 for each window and returns one row per work unit, KPI and week.
WITH coalesce($asOf, datetime()) AS asOf
WITH asOf, $from AS p0, CASE WHEN $to < asOf THEN $to ELSE asOf END AS p1
WITH asOf, p0, p1, datetime.truncate('week', p0) AS monday
UNWIND range(0, duration.inDays(monday, p1).days / 7 + 1) AS w
WITH asOf, p0, p1, monday + duration({days: 7 * w}) AS weekStart
WHERE weekStart < p1 AND p0 < p1
RETURN weekStart,
       CASE WHEN weekStart < p0 THEN p0 ELSE weekStart END AS periodStart,
       CASE WHEN weekStart + duration('P7D') > p1 THEN p1 ELSE weekStart + duration('P7D') END AS periodEnd,
       asOf,
       $equipmentId AS equipmentId
ORDER BY weekStart
