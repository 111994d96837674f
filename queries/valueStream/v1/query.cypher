// valueStream v1 — the value stream map (Rother & Shook) of each product and period.
// Times are epoch seconds until the RETURN. The period is [from, to) cut at asOf.
// One row per queue: per production order of the material, each operation with the queue in
// front of it (from the previous operation's end, or the order's release for the first one, to
// its start or asOf), and the shipment of an order made for a sales order item (from its last
// operation's end to the item's first shipment).
WITH coalesce($asOf, datetime()) AS asOf
WITH asOf, $from AS p0dt, CASE WHEN $to < asOf THEN $to ELSE asOf END AS p1dt
WITH asOf, p0dt, p1dt, p0dt.epochSeconds AS p0, p1dt.epochSeconds AS p1, asOf.epochSeconds AS now
MATCH (m:Material)
WHERE ($materialNumber IS NULL OR m.materialNumber = $materialNumber)
  AND EXISTS { (:ProductionOrder)-[:PRODUCES_MATERIAL]->(m) }
CALL (m, asOf) {
  MATCH (po:ProductionOrder)-[:PRODUCES_MATERIAL]->(m)
  WHERE po.firstEventTime IS NULL OR po.firstEventTime <= asOf
  MATCH (op:Operation)-[:OPERATION_OF]->(po)
  CALL (op) {
    // The nearest work center above (or at) the equipment the operation ran on.
    OPTIONAL MATCH path = (op)-[:PERFORMED_ON]->(:Equipment)-[:PART_OF*0..3]->(wc:WorkCenter)
    WITH wc ORDER BY length(path), wc.equipmentId
    RETURN head(collect(wc.equipmentId)) AS workCenterId
  }
  WITH po, op, workCenterId ORDER BY op.sequence, op.operationId
  WITH po, collect({
         name: op.name, sequence: op.sequence, workCenterId: workCenterId,
         start: CASE WHEN op.actualStart <= asOf THEN op.actualStart.epochSeconds END,
         end: CASE WHEN op.actualEnd <= asOf THEN op.actualEnd.epochSeconds END,
         pq: op.producedQuantity, gq: op.goodQuantity, rq: op.reworkQuantity
       }) AS ops
  UNWIND range(0, size(ops) - 1) AS j
  RETURN 'OPERATION' AS kind, ops[j].name AS name, ops[j].sequence AS sequence,
         ops[j].workCenterId AS workCenterId, ops[j].start AS start, ops[j].end AS end,
         ops[j].pq AS pq, ops[j].gq AS gq, ops[j].rq AS rq,
         CASE WHEN j = 0
           THEN CASE WHEN po.firstEventTime <= asOf THEN po.firstEventTime.epochSeconds END
           ELSE ops[j - 1].end
         END AS queueStart,
         CASE WHEN j = 0 THEN po.plannedQuantity ELSE ops[j - 1].gq END AS queueQuantity
  UNION ALL
  MATCH (po:ProductionOrder)-[:PRODUCES_MATERIAL]->(m)
  WHERE po.firstEventTime IS NULL OR po.firstEventTime <= asOf
  MATCH (po)-[:FOR_SALES_ORDER_ITEM]->(item:SalesOrderItem)
  MATCH (last:Operation)-[:OPERATION_OF]->(po)
  WITH po, item, last ORDER BY last.sequence DESC, last.operationId DESC
  WITH po, item, head(collect(last)) AS last
  OPTIONAL MATCH (item)<-[:FULFILLS_ITEM]-(:ShipmentItem)-[:ITEM_OF_SHIPMENT]->(sh:Shipment)
  WHERE sh.shippedAt <= asOf
  WITH po, last, min(sh.shippedAt).epochSeconds AS shippedAt
  RETURN 'SHIPMENT' AS kind, 'Shipment' AS name, null AS sequence, null AS workCenterId,
         shippedAt AS start, shippedAt AS end, null AS pq, null AS gq, null AS rq,
         CASE WHEN last.actualEnd <= asOf THEN last.actualEnd.epochSeconds END AS queueStart,
         last.goodQuantity AS queueQuantity
}
// The queue's share of the period, and whether the step's work was done in the period.
WITH asOf, p0dt, p1dt, p0, p1, now, m, kind, name, sequence, workCenterId, start, end, pq, gq, rq,
     queueStart, queueQuantity,
     CASE WHEN queueStart > p0 THEN queueStart ELSE p0 END AS lo,
     CASE WHEN coalesce(start, now) < p1 THEN coalesce(start, now) ELSE p1 END AS hi,
     kind = 'OPERATION' AND end >= p0 AND end < p1 AND start IS NOT NULL AND pq IS NOT NULL AS operated,
     start >= p0 AND start < p1 AND queueStart IS NOT NULL AS queueEnded
WITH asOf, p0dt, p1dt, p0, p1, m, kind, name, sequence, workCenterId, start, end, pq, gq, rq,
     queueStart, queueQuantity, operated, queueEnded,
     CASE WHEN queueStart IS NOT NULL AND hi > lo THEN hi - lo ELSE 0 END AS queued,
     CASE WHEN queueEnded AND start > queueStart THEN start - queueStart ELSE 0 END AS waited,
     queueStart IS NOT NULL AND start IS NULL AS openAtAsOf
ORDER BY workCenterId
WITH asOf, p0dt, p1dt, p0, p1, m, kind, name,
     min(sequence) AS sequence, max(sequence) AS lastSequence,
     collect(DISTINCT workCenterId) AS workCenterIds,
     count(CASE WHEN operated OR (kind = 'SHIPMENT' AND queueEnded) THEN 1 END) AS completedCount,
     sum(CASE WHEN operated THEN end - start ELSE 0 END) AS processSeconds,
     sum(CASE WHEN operated THEN pq ELSE 0.0 END) AS produced,
     sum(CASE WHEN operated THEN coalesce(gq, 0.0) ELSE 0.0 END) AS good,
     sum(CASE WHEN operated THEN coalesce(rq, 0.0) ELSE 0.0 END) AS rework,
     count(CASE WHEN queueEnded THEN 1 END) AS waitCount,
     sum(waited) AS waitedSeconds,
     sum(queued) AS queuedSeconds,
     sum(queued * coalesce(queueQuantity, 0.0)) AS queuedUnitSeconds,
     count(CASE WHEN openAtAsOf THEN 1 END) AS wipOrdersAtAsOf,
     sum(CASE WHEN openAtAsOf THEN coalesce(queueQuantity, 0.0) ELSE 0.0 END) AS wipQuantityAtAsOf
WITH asOf, p0dt, p1dt, p0, p1, m, kind, name, sequence, lastSequence, workCenterIds, completedCount,
     processSeconds, produced, good, rework, waitCount, waitedSeconds, queuedSeconds, queuedUnitSeconds,
     wipOrdersAtAsOf, wipQuantityAtAsOf, p1 - p0 AS periodSeconds
ORDER BY kind = 'SHIPMENT', sequence, lastSequence, name
WITH asOf, p0dt, p1dt, p0, p1, m, collect({
       kind: kind,
       name: name,
       sequence: sequence,
       workCenterIds: workCenterIds,
       completedCount: completedCount,
       producedQuantity: CASE WHEN kind = 'OPERATION' THEN produced END,
       cycleTimeSeconds: CASE WHEN produced > 0 THEN processSeconds / produced END,
       processTimeMinutes: CASE WHEN kind = 'OPERATION' AND completedCount > 0
                             THEN processSeconds / 60.0 / completedCount END,
       waitCount: waitCount,
       waitingTimeMinutes: CASE WHEN waitCount > 0 THEN waitedSeconds / 60.0 / waitCount END,
       averageWipOrders: CASE WHEN periodSeconds > 0 THEN toFloat(queuedSeconds) / periodSeconds END,
       averageWipQuantity: CASE WHEN periodSeconds > 0 THEN queuedUnitSeconds / periodSeconds END,
       wipOrdersAtAsOf: wipOrdersAtAsOf,
       wipQuantityAtAsOf: wipQuantityAtAsOf,
       firstPassYield: CASE WHEN produced > 0 THEN (good - rework) / produced END
     }) AS steps
// The stream: the material's sales order items whose last shipment by asOf is in the period.
CALL (m, asOf, p0dt, p1dt) {
  OPTIONAL MATCH (item:SalesOrderItem)-[:ORDERED_MATERIAL]->(m)
  OPTIONAL MATCH (item)-[:ITEM_OF]->(so:SalesOrder)
  OPTIONAL MATCH (item)<-[:FULFILLS_ITEM]-(:ShipmentItem)-[:ITEM_OF_SHIPMENT]->(sh:Shipment)
  WHERE sh.shippedAt <= asOf
  WITH item, so, max(sh.shippedAt) AS shippedAt
  WHERE shippedAt >= p0dt AND shippedAt < p1dt
  CALL (item, asOf) {
    OPTIONAL MATCH (item)<-[:FOR_SALES_ORDER_ITEM]-(:ProductionOrder)<-[:OPERATION_OF]-(op:Operation)
    WHERE op.actualStart IS NOT NULL AND op.actualEnd <= asOf
    RETURN sum(coalesce(op.actualEnd.epochSeconds - op.actualStart.epochSeconds, 0)) AS worked
  }
  WITH shippedAt, worked,
       coalesce(so.firstEventTime,
                CASE WHEN so.orderDate IS NOT NULL THEN datetime({date: so.orderDate, timezone: 'UTC'}) END)
         AS orderedAt
  // An item without an order time (its sales order's creation never arrived) has no lead time.
  WITH shippedAt.epochSeconds - orderedAt.epochSeconds AS lead, worked
  WHERE lead IS NOT NULL
  RETURN count(lead) AS shippedItemCount, avg(lead) AS leadSeconds, avg(worked) AS processSeconds
}
// Customer demand: ordered quantity of the items whose order time is in the period.
CALL (m, p0dt, p1dt) {
  OPTIONAL MATCH (item:SalesOrderItem)-[:ORDERED_MATERIAL]->(m)
  OPTIONAL MATCH (item)-[:ITEM_OF]->(so:SalesOrder)
  WITH item, coalesce(so.firstEventTime,
                      CASE WHEN so.orderDate IS NOT NULL THEN datetime({date: so.orderDate, timezone: 'UTC'}) END)
         AS orderedAt
  WHERE orderedAt >= p0dt AND orderedAt < p1dt
  RETURN toFloat(coalesce(sum(item.orderedQuantity), 0)) AS demand
}
// Available time: the shifts inside the period minus their planned breaks (pro rata when cut).
CALL (p0dt, p1dt) {
  OPTIONAL MATCH (s:Shift)
  WHERE s.shiftStart < p1dt AND s.shiftEnd > p0dt
  WITH s, s.shiftEnd.epochSeconds - s.shiftStart.epochSeconds AS shiftSeconds,
       (CASE WHEN s.shiftEnd < p1dt THEN s.shiftEnd ELSE p1dt END).epochSeconds
         - (CASE WHEN s.shiftStart > p0dt THEN s.shiftStart ELSE p0dt END).epochSeconds AS inPeriod
  RETURN sum(CASE WHEN s IS NULL THEN 0.0
                  ELSE inPeriod - coalesce(s.plannedBreakMinutes, 0) * 60.0 * inPeriod / shiftSeconds END)
         AS availableSeconds
}
WITH m, p0dt, p1dt, steps, shippedItemCount, leadSeconds, processSeconds, demand, availableSeconds
WHERE shippedItemCount > 0 OR demand > 0
   OR any(s IN steps WHERE s.completedCount > 0 OR s.averageWipOrders > 0 OR s.wipOrdersAtAsOf > 0)
RETURN m.materialNumber AS materialNumber,
       m.name AS materialName,
       p0dt AS periodStart,
       p1dt AS periodEnd,
       steps,
       shippedItemCount,
       leadSeconds / 60.0 AS leadTimeMinutes,
       processSeconds / 60.0 AS processTimeMinutes,
       CASE WHEN leadSeconds > 0 THEN processSeconds / leadSeconds END AS valueAddedRatio,
       availableSeconds / 60.0 AS availableTimeMinutes,
       demand AS demandQuantity,
       CASE WHEN demand > 0 THEN availableSeconds / demand END AS taktTimeSeconds
ORDER BY materialNumber
