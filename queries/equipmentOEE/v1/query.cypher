// equipmentOEE v1 — ISO 22400-2 OEE per work unit and shift.
// Time model (all in seconds, from the equipment's state timeline):
//   PBT  planned busy time      = shift window − planned break minutes (for a shift running at
//        $asOf: the elapsed window − the elapsed share of the break)
//   APT  actual production time = RUNNING time of the equipment inside the shift window
//   PRU × PQ                    = Σ planned run time per unit × produced quantity
// Quantities of an operation that spans shifts are split in proportion to its RUNNING time
// in each shift (the MES reports them once, at completion). An operation with no RUNNING
// time recorded counts wholly in its DURING_SHIFT shift.
WITH coalesce($asOf, datetime()) AS asOf
MATCH (s:Shift)
WHERE s.shiftStart < asOf
  AND ($from IS NULL OR s.shiftEnd > $from)
  AND ($to IS NULL OR s.shiftStart < $to)
WITH asOf, collect(s) AS shifts
MATCH (e:WorkUnit)
WHERE $equipmentId IS NULL OR e.equipmentId = $equipmentId
OPTIONAL MATCH (e)-[:INSTALLED_AT]->(site:Site)
OPTIONAL MATCH (c:EquipmentStateChange)-[:STATE_OF]->(e)
WHERE c.since <= asOf
WITH asOf, shifts, e, site, c
ORDER BY c.since, c.stateChangeId
WITH asOf, shifts, e, site, collect(c) AS changes
// Each state lasts until the next change of the same equipment; the last one until asOf
// (changes after asOf are not known yet).
WITH asOf, shifts, e, site, [i IN range(0, size(changes) - 1) | {
       state: changes[i].state,
       start: changes[i].since.epochSeconds,
       end: coalesce(changes[i + 1].since, asOf).epochSeconds
     }] AS timeline
WITH asOf, e, site, [iv IN timeline WHERE iv.state = 'RUNNING'] AS running, timeline, shifts
UNWIND shifts AS s
// The shift window; a shift still running at asOf ends there for now.
WITH asOf, e, s, running, timeline, s.shiftStart.epochSeconds AS s0,
     (CASE WHEN s.shiftEnd < asOf THEN s.shiftEnd ELSE asOf END).epochSeconds AS s1,
     s.shiftEnd.epochSeconds - s.shiftStart.epochSeconds AS shiftSeconds
WHERE site IS NULL OR NOT EXISTS { (s)-[:SHIFT_AT]->(:Site) } OR EXISTS { (s)-[:SHIFT_AT]->(site) }
// The timeline clipped to the shift window.
WITH asOf, e, s, s0, s1, shiftSeconds, running, [iv IN timeline | {
       state: iv.state,
       lo: CASE WHEN iv.start > s0 THEN iv.start ELSE s0 END,
       hi: CASE WHEN iv.end < s1 THEN iv.end ELSE s1 END
     }] AS clipped
WITH asOf, e, s, s0, s1, shiftSeconds, running, [iv IN clipped WHERE iv.hi > iv.lo] AS inShift
WITH asOf, e, s, s0, s1, shiftSeconds, running, inShift,
     reduce(t = 0, iv IN inShift | t + CASE iv.state WHEN 'RUNNING' THEN iv.hi - iv.lo ELSE 0 END) AS apt,
     reduce(t = 0, iv IN inShift | t + CASE iv.state WHEN 'DOWN' THEN iv.hi - iv.lo ELSE 0 END) AS down,
     reduce(t = 0, iv IN inShift | t + CASE iv.state WHEN 'SETUP' THEN iv.hi - iv.lo ELSE 0 END) AS setup
// Completed operations on this equipment that overlap the shift (or were reported in it).
OPTIONAL MATCH (o:Operation)-[:PERFORMED_ON]->(e)
WHERE o.producedQuantity IS NOT NULL AND o.actualStart IS NOT NULL AND o.actualEnd IS NOT NULL
  AND o.actualEnd <= asOf
  AND ((o.actualStart.epochSeconds < s1 AND o.actualEnd.epochSeconds > s0)
       OR EXISTS { (o)-[:DURING_SHIFT]->(s) })
WITH asOf, e, s, s0, s1, shiftSeconds, apt, down, setup, o,
     o.actualStart.epochSeconds AS o0, o.actualEnd.epochSeconds AS o1, running, inShift
WITH asOf, e, s, s0, s1, shiftSeconds, apt, down, setup, o,
     reduce(t = 0, iv IN running | t + CASE
       WHEN (CASE WHEN iv.end < o1 THEN iv.end ELSE o1 END) > (CASE WHEN iv.start > o0 THEN iv.start ELSE o0 END)
       THEN (CASE WHEN iv.end < o1 THEN iv.end ELSE o1 END) - (CASE WHEN iv.start > o0 THEN iv.start ELSE o0 END)
       ELSE 0 END) AS opRun,
     reduce(t = 0, iv IN [x IN inShift WHERE x.state = 'RUNNING'] | t + CASE
       WHEN (CASE WHEN iv.hi < o1 THEN iv.hi ELSE o1 END) > (CASE WHEN iv.lo > o0 THEN iv.lo ELSE o0 END)
       THEN (CASE WHEN iv.hi < o1 THEN iv.hi ELSE o1 END) - (CASE WHEN iv.lo > o0 THEN iv.lo ELSE o0 END)
       ELSE 0 END) AS opRunInShift
WITH asOf, e, s, s0, s1, shiftSeconds, apt, down, setup, o,
     CASE
       WHEN o IS NULL THEN 0.0
       WHEN opRun > 0 THEN toFloat(opRunInShift) / opRun
       WHEN EXISTS { (o)-[:DURING_SHIFT]->(s) } THEN 1.0
       ELSE 0.0
     END AS share
WITH asOf, e, s, s0, s1, shiftSeconds, apt, down, setup,
     sum(share * coalesce(o.plannedRunTimePerUnitSeconds, 0) * coalesce(o.producedQuantity, 0)) AS plannedRun,
     sum(share * coalesce(o.producedQuantity, 0)) AS produced,
     sum(share * coalesce(o.goodQuantity, 0)) AS good,
     sum(share * coalesce(o.scrapQuantity, 0)) AS scrap,
     sum(share * coalesce(o.reworkQuantity, 0)) AS rework,
     count(CASE WHEN share > 0 THEN o END) AS operations
WHERE $includeIdle OR apt > 0 OR produced > 0
WITH e, s, apt, down, setup, plannedRun, produced, good, scrap, rework, operations,
     // The planned break counts in proportion to the part of the shift that has passed.
     (s1 - s0) - coalesce(s.plannedBreakMinutes, 0) * 60.0 * (s1 - s0) / shiftSeconds AS pbt
WITH e, s, apt, down, setup, plannedRun, produced, good, scrap, rework, operations, pbt,
     CASE WHEN pbt > 0 THEN toFloat(apt) / pbt END AS availability,
     CASE WHEN apt > 0 THEN plannedRun / apt END AS effectiveness,
     CASE WHEN produced > 0 THEN good / produced END AS qualityRatio
OPTIONAL MATCH (e)-[:PART_OF]->(wc:WorkCenter)
RETURN e.equipmentId AS equipmentId,
       e.name AS equipmentName,
       wc.equipmentId AS workCenterId,
       s.shiftId AS shiftId,
       s.name AS shiftName,
       s.shiftStart AS shiftStart,
       s.shiftEnd AS shiftEnd,
       pbt / 60.0 AS plannedBusyTimeMinutes,
       apt / 60.0 AS actualProductionTimeMinutes,
       down / 60.0 AS downTimeMinutes,
       setup / 60.0 AS setupTimeMinutes,
       plannedRun / 60.0 AS plannedRunTimeMinutes,
       operations AS operationCount,
       produced AS producedQuantity,
       good AS goodQuantity,
       scrap AS scrapQuantity,
       rework AS reworkQuantity,
       availability,
       effectiveness,
       qualityRatio,
       availability * effectiveness * qualityRatio AS oee,
       CASE WHEN produced > 0 THEN scrap / produced END AS scrapRatio,
       CASE WHEN produced > 0 THEN rework / produced END AS reworkRatio,
       CASE WHEN produced > 0 THEN (good - rework) / produced END AS firstPassYield
ORDER BY shiftStart, equipmentId
