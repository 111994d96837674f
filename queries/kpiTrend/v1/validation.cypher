// Sample period to validate kpiTrend with: every week with equipment states.
MATCH (c:EquipmentStateChange)
WITH min(c.since) AS first, max(c.since) AS last
WHERE first IS NOT NULL
RETURN datetime.truncate('day', first) AS `from`, datetime.truncate('day', last) + duration('P1D') AS `to`
