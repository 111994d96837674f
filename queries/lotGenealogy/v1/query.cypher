// lotGenealogy v1 — backward and forward traceability of one lot.
// BACKWARD: the lots it was made from (CONSUMED_LOT, transitively), down to supplier lots.
// FORWARD: the lots made from it, up to finished goods; each lot with the customer shipments
// that carried it. The queried lot itself is the SELF row (depth 0).
MATCH (root:Lot {lotNumber: $lotNumber})
CALL (root) {
  RETURN root AS lot, 'SELF' AS direction, 0 AS depth
  UNION
  MATCH path = (root)-[:CONSUMED_LOT*1..20]->(lot:Lot)
  WHERE length(path) <= $maxDepth
  RETURN lot, 'BACKWARD' AS direction, min(length(path)) AS depth
  UNION
  MATCH path = (root)<-[:CONSUMED_LOT*1..20]-(lot:Lot)
  WHERE length(path) <= $maxDepth
  RETURN lot, 'FORWARD' AS direction, min(length(path)) AS depth
}
OPTIONAL MATCH (lot)-[:LOT_OF_MATERIAL]->(m:Material)
OPTIONAL MATCH (lot)-[:PRODUCED_BY]->(po:ProductionOrder)
OPTIONAL MATCH (po)-[:FOR_SALES_ORDER_ITEM]->(:SalesOrderItem)-[:ITEM_OF]->(so:SalesOrder)
CALL (lot) {
  // A purchased lot's supplier and quantity: its goods receipts (movement type 101).
  OPTIONAL MATCH (lot)<-[:MOVED_LOT]-(receipt:GoodsMovement {movementType: '101'})
  OPTIONAL MATCH (receipt)-[:POSTED_FOR_PURCHASE_ORDER]->(:PurchaseOrder)-[:PURCHASED_FROM]->(supplier:Supplier)
  RETURN min(supplier.supplierId) AS supplierId,
         sum(receipt.movementQuantity) AS receivedQuantity,
         min(receipt.movementUnit) AS receivedUnit
}
CALL (lot) {
  OPTIONAL MATCH (lot)<-[:SHIPS_LOT]-(si:ShipmentItem)-[:ITEM_OF_SHIPMENT]->(sh:Shipment)
  OPTIONAL MATCH (sh)-[:SHIPS_TO]->(c:Customer)
  OPTIONAL MATCH (sh)-[:SHIPS_ORDER]->(shippedOrder:SalesOrder)
  WITH si, sh, c, shippedOrder
  ORDER BY sh.shippedAt, sh.shipmentNumber, si.shipmentItemId
  RETURN [x IN collect(CASE WHEN si IS NOT NULL THEN {
           shipmentNumber: sh.shipmentNumber,
           shippedAt: sh.shippedAt,
           customerNumber: c.customerNumber,
           customerName: c.name,
           salesOrderNumber: shippedOrder.salesOrderNumber,
           quantity: si.shippedQuantity
         } END) | x] AS shipments
}
RETURN root.lotNumber AS rootLotNumber,
       lot.lotNumber AS lotNumber,
       direction,
       depth,
       m.materialNumber AS materialNumber,
       m.name AS materialName,
       m.materialType AS materialType,
       toFloat(coalesce(lot.lotQuantity, CASE WHEN receivedQuantity > 0 THEN receivedQuantity END)) AS quantity,
       coalesce(lot.lotUnit, receivedUnit) AS unit,
       lot.status AS status,
       lot.producedAt AS producedAt,
       po.productionOrderNumber AS productionOrderNumber,
       so.salesOrderNumber AS salesOrderNumber,
       supplierId,
       COUNT { (lot)<-[:AFFECTS_LOT]-(:Nonconformance) } AS nonconformanceCount,
       shipments
ORDER BY CASE direction WHEN 'BACKWARD' THEN 0 WHEN 'SELF' THEN 1 ELSE 2 END,
         CASE direction WHEN 'BACKWARD' THEN -depth ELSE depth END,
         lotNumber
