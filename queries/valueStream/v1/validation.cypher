// Sample periods to validate valueStream with: the last day on which an operation completed and
// the week ending with it (from and to are required).
MATCH (op:Operation)
WITH datetime.truncate('day', max(op.actualEnd)) AS lastDay
WHERE lastDay IS NOT NULL
UNWIND [duration('P1D'), duration('P7D')] AS span
RETURN lastDay + duration('P1D') - span AS `from`, lastDay + duration('P1D') AS `to`
