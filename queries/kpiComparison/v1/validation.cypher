// Sample periods to validate kpiComparison with: the days with equipment states split in two
// halves (before: the first half, after: the rest).
MATCH (c:EquipmentStateChange)
WITH datetime.truncate('day', min(c.since)) AS first, datetime.truncate('day', max(c.since)) + duration('P1D') AS last
WHERE first IS NOT NULL AND last > first + duration('P1D')
WITH first, last, first + duration({days: duration.inDays(first, last).days / 2}) AS middle
RETURN first AS beforeFrom, middle AS beforeTo, middle AS afterFrom, last AS afterTo
