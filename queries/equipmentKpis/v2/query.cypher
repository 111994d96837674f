// equipmentKpis v2 — the ISO 22400-2 KPIs the events support, per work unit and period.
// v2 against v1: MTBF counts the operating time between failures as ISO 22400-2 defines TBF
// (setup and production time, no delay: AUPT / FE, not APT / FE); v1's "equipment load ratio"
// AUBT / PBT is the standard's allocation efficiency (its equipment load ratio is PQ / EPC, and no
// capacity is recorded), so it is named so; utilization efficiency and production process ratio added.
// Time elements (seconds, from the equipment's state timeline clipped to the period):
//   APT  actual production time     = time in RUNNING
//   AUST actual unit setup time     = time in SETUP
//   ADET actual unit delay time     = time in DOWN (unplanned stoppage)
//   AUPT actual unit processing time = APT + AUST
//   AUBT actual unit busy time       = AUPT + ADET
//   PBT  planned busy time          = Σ over the shifts (of the unit's site) of the shift window
//        clipped to the period − the clipped share of the planned break
//   AOET actual order execution time = Σ actualEnd − actualStart of the operations completed on
//        the unit in the period; PQ and RQ are their produced and rework quantities
// A failure event is a change into DOWN inside the period; its time to restoration lasts until
// the next change of the same equipment (or asOf).
WITH coalesce($asOf, datetime()) AS asOf
WITH asOf, $from AS p0dt, CASE WHEN $to < asOf THEN $to ELSE asOf END AS p1dt
WITH asOf, p0dt, p1dt, p0dt.epochSeconds AS p0, p1dt.epochSeconds AS p1
MATCH (e:WorkUnit)
WHERE $equipmentId IS NULL OR e.equipmentId = $equipmentId
OPTIONAL MATCH (e)-[:INSTALLED_AT]->(site:Site)
OPTIONAL MATCH (c:EquipmentStateChange)-[:STATE_OF]->(e)
WHERE c.since <= asOf
WITH asOf, p0dt, p1dt, p0, p1, e, site, c
ORDER BY c.since, c.stateChangeId
WITH asOf, p0dt, p1dt, p0, p1, e, site, collect(c) AS changes
// Each state lasts until the next change of the same equipment; the last one until asOf.
WITH asOf, p0dt, p1dt, p0, p1, e, site, [i IN range(0, size(changes) - 1) | {
       state: changes[i].state,
       start: changes[i].since.epochSeconds,
       end: coalesce(changes[i + 1].since, asOf).epochSeconds
     }] AS timeline
WITH asOf, p0dt, p1dt, p0, p1, e, site, timeline, [iv IN timeline | {
       state: iv.state,
       lo: CASE WHEN iv.start > p0 THEN iv.start ELSE p0 END,
       hi: CASE WHEN iv.end < p1 THEN iv.end ELSE p1 END
     }] AS clipped
WITH asOf, p0dt, p1dt, p0, p1, e, site, timeline, [iv IN clipped WHERE iv.hi > iv.lo] AS inPeriod
WITH asOf, p0dt, p1dt, p0, p1, e, site,
     reduce(t = 0, iv IN inPeriod | t + CASE iv.state WHEN 'RUNNING' THEN iv.hi - iv.lo ELSE 0 END) AS apt,
     reduce(t = 0, iv IN inPeriod | t + CASE iv.state WHEN 'SETUP' THEN iv.hi - iv.lo ELSE 0 END) AS aust,
     reduce(t = 0, iv IN inPeriod | t + CASE iv.state WHEN 'DOWN' THEN iv.hi - iv.lo ELSE 0 END) AS adet,
     // Failures: DOWN intervals that start inside the period, each with its whole duration.
     [iv IN timeline WHERE iv.state = 'DOWN' AND iv.start >= p0 AND iv.start < p1 | iv.end - iv.start] AS repairs
// Planned busy time: the shifts of the unit's site (or of no site) overlapping the period.
OPTIONAL MATCH (s:Shift)
WHERE s.shiftStart < p1dt AND s.shiftEnd > p0dt
  AND (site IS NULL OR NOT EXISTS { (s)-[:SHIFT_AT]->(:Site) } OR EXISTS { (s)-[:SHIFT_AT]->(site) })
WITH asOf, p0dt, p1dt, p0, p1, e, apt, aust, adet, repairs, s,
     s.shiftEnd.epochSeconds - s.shiftStart.epochSeconds AS shiftSeconds,
     (CASE WHEN s.shiftEnd < p1dt THEN s.shiftEnd ELSE p1dt END).epochSeconds
       - (CASE WHEN s.shiftStart > p0dt THEN s.shiftStart ELSE p0dt END).epochSeconds AS inWindow
WITH asOf, p0dt, p1dt, e, apt, aust, adet, repairs,
     sum(CASE WHEN s IS NULL THEN 0.0
              ELSE inWindow - coalesce(s.plannedBreakMinutes, 0) * 60.0 * inWindow / shiftSeconds END) AS pbt
// Operations completed on the unit inside the period.
OPTIONAL MATCH (o:Operation)-[:PERFORMED_ON]->(e)
WHERE o.actualStart IS NOT NULL AND o.actualEnd IS NOT NULL AND o.producedQuantity IS NOT NULL
  AND o.actualEnd >= p0dt AND o.actualEnd < p1dt
WITH e, apt, aust, adet, repairs, pbt,
     count(o) AS operations,
     sum(coalesce(o.actualEnd.epochSeconds - o.actualStart.epochSeconds, 0)) AS aoet,
     sum(coalesce(o.producedQuantity, 0.0)) AS pq,
     sum(coalesce(o.reworkQuantity, 0.0)) AS rq
WITH e, apt, aust, adet, repairs, pbt, operations, aoet, pq, rq,
     apt + aust AS aupt, apt + aust + adet AS aubt, size(repairs) AS failures,
     reduce(t = 0, r IN repairs | t + r) AS repairTime
WHERE aubt > 0 OR operations > 0
OPTIONAL MATCH (e)-[:PART_OF]->(wc:WorkCenter)
RETURN e.equipmentId AS equipmentId,
       e.name AS equipmentName,
       wc.equipmentId AS workCenterId,
       pbt / 60.0 AS plannedBusyTimeMinutes,
       apt / 60.0 AS actualProductionTimeMinutes,
       aust / 60.0 AS actualSetupTimeMinutes,
       adet / 60.0 AS actualDelayTimeMinutes,
       aupt / 60.0 AS actualProcessingTimeMinutes,
       aubt / 60.0 AS actualBusyTimeMinutes,
       aoet / 60.0 AS actualOrderExecutionTimeMinutes,
       operations AS operationCount,
       pq AS producedQuantity,
       rq AS reworkQuantity,
       failures AS failureCount,
       CASE WHEN aoet > 0 THEN pq * 3600.0 / aoet END AS throughputRatePerHour,
       CASE WHEN aupt > 0 THEN toFloat(aust) / aupt END AS setupRatio,
       CASE WHEN apt + adet > 0 THEN toFloat(apt) / (apt + adet) END AS technicalEfficiency,
       CASE WHEN pq > 0 THEN rq / pq END AS reworkRatio,
       CASE WHEN aoet > 0 THEN toFloat(aubt) / aoet END AS allocationRatio,
       CASE WHEN failures > 0 THEN repairTime / 60.0 / failures END AS meanTimeToRepairMinutes,
       CASE WHEN failures > 0 THEN aupt / 60.0 / failures END AS meanTimeBetweenFailuresMinutes,
       CASE WHEN pbt > 0 THEN aubt / pbt END AS allocationEfficiency,
       CASE WHEN aubt > 0 THEN toFloat(apt) / aubt END AS utilizationEfficiency,
       CASE WHEN aoet > 0 THEN toFloat(apt) / aoet END AS productionProcessRatio
ORDER BY equipmentId
