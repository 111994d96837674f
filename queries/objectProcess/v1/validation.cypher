// Sample periods to validate objectProcess with: the last day with events, and everything up to
// its end.
MATCH (ev:DomainEvent)
WITH datetime.truncate('day', max(ev.eventTime)) AS lastDay, min(ev.eventTime) AS first
WHERE lastDay IS NOT NULL
UNWIND [lastDay, datetime.truncate('day', first)] AS start
RETURN start AS `from`, lastDay + duration('P1D') AS `to`
