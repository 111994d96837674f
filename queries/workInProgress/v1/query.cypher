// workInProgress v1 — open production orders per work center with their current operation, as
// of a moment ($asOf, default now).
// Open: released by $asOf (its first event) and not completed by then. An operation is
// COMPLETED once its actual end has passed, IN_PROCESS once its actual start has; the current
// operation is the first one in process, else the next one waiting. Its work center: where the
// running operation's equipment belongs; for an order with no operation started yet, the work
// center it was released to. An order waiting between two operations has no known work center
// (the graph records an operation's work center only once it runs).
WITH coalesce($asOf, datetime()) AS asOf
MATCH (po:ProductionOrder)
WHERE (po.firstEventTime IS NULL OR po.firstEventTime <= asOf)
  AND NOT (po.actualEnd IS NOT NULL AND po.actualEnd <= asOf)
  AND NOT (po.actualEnd IS NULL AND po.status IN ['COMPLETED', 'CLOSED', 'CANCELLED'])
CALL (po, asOf) {
  OPTIONAL MATCH (op:Operation)-[:OPERATION_OF]->(po)
  WITH op, asOf,
       CASE
         WHEN op.actualEnd IS NOT NULL AND op.actualEnd <= asOf THEN 'COMPLETED'
         WHEN op.actualStart IS NOT NULL AND op.actualStart <= asOf THEN 'IN_PROCESS'
         ELSE 'WAITING'
       END AS state
  ORDER BY op.sequence, op.operationId
  WITH collect(CASE WHEN op IS NOT NULL THEN {op: op, state: state} END) AS ops
  WITH ops, [x IN ops WHERE x.state = 'IN_PROCESS'] + [x IN ops WHERE x.state = 'WAITING'] AS pending
  RETURN size(ops) AS operationCount,
         size([x IN ops WHERE x.state = 'COMPLETED']) AS completedOperationCount,
         pending[0].op AS current,
         pending[0].state AS currentState
}
OPTIONAL MATCH (current)-[:PERFORMED_ON]->(equipment:Equipment)
WITH asOf, po, operationCount, completedOperationCount, current, currentState,
     CASE WHEN currentState = 'IN_PROCESS' THEN equipment END AS equipment
CALL (equipment) {
  // The nearest work center above (or at) the equipment the operation runs on.
  OPTIONAL MATCH path = (equipment)-[:PART_OF*0..3]->(wc:WorkCenter)
  WITH wc ORDER BY length(path), wc.equipmentId
  RETURN head(collect(wc)) AS runningAt
}
OPTIONAL MATCH (po)-[:PLANNED_AT]->(planned:WorkCenter)
WITH asOf, po, operationCount, completedOperationCount, current, currentState, equipment,
     CASE
       WHEN currentState = 'IN_PROCESS' THEN runningAt
       WHEN completedOperationCount = 0 THEN planned
     END AS workCenter
WHERE $workCenterId IS NULL OR workCenter.equipmentId = $workCenterId
OPTIONAL MATCH (po)-[:PRODUCES_MATERIAL]->(m:Material)
OPTIONAL MATCH (po)-[:FOR_SALES_ORDER_ITEM]->(:SalesOrderItem)-[:ITEM_OF]->(so:SalesOrder)
RETURN workCenter.equipmentId AS workCenterId,
       workCenter.name AS workCenterName,
       po.productionOrderNumber AS productionOrderNumber,
       m.materialNumber AS materialNumber,
       po.plannedQuantity AS plannedQuantity,
       po.plannedStart AS plannedStart,
       po.plannedEnd AS plannedEnd,
       so.salesOrderNumber AS salesOrderNumber,
       operationCount,
       completedOperationCount,
       current.operationId AS currentOperationId,
       current.sequence AS currentOperationSequence,
       current.name AS currentOperationName,
       currentState AS currentOperationState,
       equipment.equipmentId AS currentEquipmentId,
       CASE WHEN currentState = 'IN_PROCESS' THEN current.actualStart END AS currentOperationStartedAt,
       CASE WHEN currentState = 'IN_PROCESS'
         THEN duration.inSeconds(current.actualStart, asOf).seconds / 60.0
       END AS minutesInProcess,
       po.plannedEnd IS NOT NULL AND po.plannedEnd < asOf AS behindSchedule
ORDER BY workCenterId IS NULL, workCenterId, plannedStart, productionOrderNumber
