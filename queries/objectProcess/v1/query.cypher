// objectProcess v1 — the object-centric directly-follows graph (van der Aalst, object-centric
// process mining; OCEL 2.0's event-to-object relation is our AFFECTED lineage).
// An object's type is the most specific class among those that events affect ($ontologyObjectTypes,
// from the ontology's ds:affects, deepest first); an event's type is its event class
// ($ontologyEventTypes). Each object's trace is its distinct events ordered by eventTime, then
// eventId; two consecutive events a → b of one trace are one directly-follows edge, counted in
// the period [from, to) in which b happens (a may lie before it). Durations are b − a in minutes.
WITH $from AS p0, $to AS p1
MATCH (ev:DomainEvent)-[:AFFECTED]->(o)
WHERE ev.eventTime < p1
WITH p0, p1, ev, o, [l IN $ontologyObjectTypes WHERE l IN labels(o)][0] AS objectType
WHERE objectType IS NOT NULL AND ($objectType IS NULL OR objectType = $objectType)
WITH DISTINCT p0, p1, ev, o, objectType, [l IN $ontologyEventTypes WHERE l IN labels(ev)][0] AS eventType
WHERE eventType IS NOT NULL
WITH p0, p1, ev, o, objectType, eventType
ORDER BY ev.eventTime, ev.eventId
WITH p0, p1, o, objectType, collect({type: eventType, at: ev.eventTime}) AS trace
UNWIND range(1, size(trace) - 1) AS i
WITH p0, o, objectType, trace[i - 1] AS a, trace[i] AS b
WHERE b.at >= p0
WITH objectType, a.type AS fromEventType, b.type AS toEventType, o,
     (b.at.epochMillis - a.at.epochMillis) / 60000.0 AS minutes
RETURN objectType,
       fromEventType,
       toEventType,
       count(*) AS frequency,
       count(DISTINCT o) AS objectCount,
       avg(minutes) AS meanMinutes,
       percentileCont(minutes, 0.5) AS medianMinutes,
       percentileCont(minutes, 0.9) AS p90Minutes,
       min(minutes) AS minMinutes,
       max(minutes) AS maxMinutes
ORDER BY objectType, frequency DESC, fromEventType, toEventType
