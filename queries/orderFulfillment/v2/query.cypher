// orderFulfillment v2 — each sales order as of a moment: production progress, shipped quantity,
// delivery status. Only what had happened by $asOf counts (completed production orders and
// operations, dispatched shipments, the ERP closing the order); orders whose SalesOrderCreated has
// not arrived yet (stubs known only by key) are left out.
WITH coalesce($asOf, datetime()) AS asOf
MATCH (so:SalesOrder)
WHERE so.orderDate IS NOT NULL
  AND so.orderDate <= date(asOf)
  AND ($from IS NULL OR so.orderDate >= $from)
  AND ($to IS NULL OR so.orderDate <= $to)
OPTIONAL MATCH (so)-[:ORDERED_BY]->(c:Customer)
WITH asOf, so, c
WHERE $customerNumber IS NULL OR c.customerNumber = $customerNumber
// Items: ordered and shipped quantity per item; delivered in full when every item is.
CALL (so, asOf) {
  OPTIONAL MATCH (i:SalesOrderItem)-[:ITEM_OF]->(so)
  CALL (i, asOf) {
    OPTIONAL MATCH (i)<-[:FULFILLS_ITEM]-(si:ShipmentItem)-[:ITEM_OF_SHIPMENT]->(sh:Shipment)
    WHERE sh.shippedAt <= asOf
    RETURN toFloat(coalesce(sum(si.shippedQuantity), 0)) AS itemShipped
  }
  RETURN count(i) AS itemCount,
         toFloat(coalesce(sum(i.orderedQuantity), 0)) AS ordered,
         toFloat(coalesce(sum(itemShipped), 0)) AS shipped,
         all(x IN collect([i.orderedQuantity, itemShipped]) WHERE x[1] >= x[0]) AS shippedInFull
}
CALL (so, asOf) {
  OPTIONAL MATCH (so)<-[:ITEM_OF]-(:SalesOrderItem)<-[:FULFILLS_ITEM]-(:ShipmentItem)
                 -[:ITEM_OF_SHIPMENT]->(sh:Shipment)
  WHERE sh.shippedAt <= asOf
  RETURN count(DISTINCT sh) AS shipmentCount, max(sh.shippedAt) AS lastShippedAt
}
CALL (so, asOf) {
  OPTIONAL MATCH (so)<-[:ITEM_OF]-(:SalesOrderItem)<-[:FOR_SALES_ORDER_ITEM]-(po:ProductionOrder)
  WITH po, po.actualEnd IS NOT NULL AND po.actualEnd <= asOf AS done
  RETURN count(po) AS productionOrders,
         count(CASE WHEN done THEN po END) AS completedProductionOrders,
         toFloat(coalesce(sum(CASE WHEN done THEN po.goodQuantity END), 0)) AS produced
}
CALL (so, asOf) {
  OPTIONAL MATCH (so)<-[:ITEM_OF]-(:SalesOrderItem)<-[:FOR_SALES_ORDER_ITEM]-(:ProductionOrder)
                 <-[:OPERATION_OF]-(op:Operation)
  RETURN count(op) AS operations,
         count(CASE WHEN op.actualEnd IS NOT NULL AND op.actualEnd <= asOf THEN op END) AS completedOperations
}
// The ERP's close counts once it had happened by asOf: the order is COMPLETED now, and a
// SalesOrderChanged about it came after its last shipment and by asOf. (The status is the current
// one; before that event, at asOf, the order was still open.)
CALL (so, asOf, lastShippedAt) {
  OPTIONAL MATCH (change:SalesOrderChanged)-[:AFFECTED]->(so)
  WHERE so.status = 'COMPLETED' AND change.eventTime >= lastShippedAt AND change.eventTime <= asOf
  RETURN count(change) > 0 AS closedAfterShipping
}
// Delivered: every item shipped in full, or the ERP closed the order after shipping (short
// deliveries of scrapped quantity are accepted that way). Delivery time: the last shipment.
WITH asOf, so, c, itemCount, ordered, shipped, shipmentCount, lastShippedAt, productionOrders,
     completedProductionOrders, produced, operations, completedOperations,
     CASE
       WHEN shipmentCount > 0 AND ((itemCount > 0 AND shippedInFull) OR closedAfterShipping)
       THEN lastShippedAt
     END AS deliveredAt
// Without a requested delivery date there is nothing to be on time or late against: DELIVERED
// once delivered, else OPEN (never OVERDUE).
WITH asOf, so, c, itemCount, ordered, shipped, shipmentCount, lastShippedAt, productionOrders,
     completedProductionOrders, produced, operations, completedOperations, deliveredAt,
     CASE
       WHEN deliveredAt IS NOT NULL AND so.requestedDeliveryDate IS NULL THEN 'DELIVERED'
       WHEN deliveredAt IS NOT NULL AND date(deliveredAt) <= so.requestedDeliveryDate THEN 'ON_TIME'
       WHEN deliveredAt IS NOT NULL THEN 'LATE'
       WHEN so.requestedDeliveryDate < date(asOf) THEN 'OVERDUE'
       ELSE 'OPEN'
     END AS deliveryStatus
RETURN so.salesOrderNumber AS salesOrderNumber,
       c.customerNumber AS customerNumber,
       c.name AS customerName,
       so.orderDate AS orderDate,
       so.requestedDeliveryDate AS requestedDeliveryDate,
       so.status AS orderStatus,
       itemCount,
       ordered AS orderedQuantity,
       productionOrders AS productionOrderCount,
       completedProductionOrders AS completedProductionOrderCount,
       operations AS operationCount,
       completedOperations AS completedOperationCount,
       CASE WHEN operations > 0 THEN toFloat(completedOperations) / operations END AS productionProgress,
       produced AS producedQuantity,
       shipped AS shippedQuantity,
       CASE WHEN ordered > 0 THEN shipped / ordered END AS shippedRatio,
       shipmentCount,
       lastShippedAt,
       deliveredAt,
       deliveryStatus,
       CASE deliveryStatus
         WHEN 'LATE' THEN duration.inDays(so.requestedDeliveryDate, date(deliveredAt)).days
         WHEN 'OVERDUE' THEN duration.inDays(so.requestedDeliveryDate, date(asOf)).days
         ELSE 0
       END AS daysLate
ORDER BY orderDate, salesOrderNumber
