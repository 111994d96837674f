// Sample periods to validate equipmentKpis v2 with: the last recorded day of equipment states and the
// week ending with it.
MATCH (c:EquipmentStateChange)
WITH datetime.truncate('day', max(c.since)) AS lastDay
WHERE lastDay IS NOT NULL
UNWIND [duration('P1D'), duration('P7D')] AS span
RETURN lastDay + duration('P1D') - span AS `from`, lastDay + duration('P1D') AS `to`
