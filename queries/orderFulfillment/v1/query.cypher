// orderFulfillment v1 (deprecated: use v2) — each sales order with its produced and shipped
// quantity and whether it was delivered on time, in the current state of the graph.
MATCH (so:SalesOrder)
WHERE so.orderDate IS NOT NULL
OPTIONAL MATCH (so)-[:ORDERED_BY]->(c:Customer)
WITH so, c
WHERE $customerNumber IS NULL OR c.customerNumber = $customerNumber
CALL (so) {
  OPTIONAL MATCH (i:SalesOrderItem)-[:ITEM_OF]->(so)
  CALL (i) {
    OPTIONAL MATCH (i)<-[:FULFILLS_ITEM]-(si:ShipmentItem)
    RETURN toFloat(coalesce(sum(si.shippedQuantity), 0)) AS itemShipped
  }
  RETURN count(i) AS itemCount,
         toFloat(coalesce(sum(i.orderedQuantity), 0)) AS ordered,
         toFloat(coalesce(sum(itemShipped), 0)) AS shipped,
         all(x IN collect([i.orderedQuantity, itemShipped]) WHERE x[1] >= x[0]) AS shippedInFull
}
CALL (so) {
  OPTIONAL MATCH (so)<-[:ITEM_OF]-(:SalesOrderItem)<-[:FULFILLS_ITEM]-(:ShipmentItem)
                 -[:ITEM_OF_SHIPMENT]->(sh:Shipment)
  RETURN count(DISTINCT sh) AS shipmentCount, max(sh.shippedAt) AS lastShippedAt
}
CALL (so) {
  OPTIONAL MATCH (so)<-[:ITEM_OF]-(:SalesOrderItem)<-[:FOR_SALES_ORDER_ITEM]-(po:ProductionOrder)
  WHERE po.status = 'COMPLETED'
  RETURN toFloat(coalesce(sum(po.goodQuantity), 0)) AS produced
}
WITH so, c, ordered, shipped, produced,
     shipmentCount > 0 AND ((itemCount > 0 AND shippedInFull) OR so.status = 'COMPLETED') AS delivered,
     lastShippedAt
RETURN so.salesOrderNumber AS salesOrderNumber,
       c.customerNumber AS customerNumber,
       so.orderDate AS orderDate,
       so.requestedDeliveryDate AS requestedDeliveryDate,
       ordered AS orderedQuantity,
       produced AS producedQuantity,
       shipped AS shippedQuantity,
       CASE WHEN delivered THEN date(lastShippedAt) <= so.requestedDeliveryDate END AS onTime
ORDER BY orderDate, salesOrderNumber
