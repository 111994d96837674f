// customerQuality v1 — per customer: the complaints it raised, the nonconformances that touch
// it, and the orders and lots behind them.
// A nonconformance touches a customer when it affects a lot shipped to the customer (a quality
// escape, even if found in-house) or is related to one of the customer's complaints.
// $from/$to (optional) restrict complaints by openedAt and nonconformances by raisedAt.
MATCH (c:Customer)
WHERE $customerNumber IS NULL OR c.customerNumber = $customerNumber
CALL (c) {
  OPTIONAL MATCH (c)<-[:ORDERED_BY]-(so:SalesOrder)
  RETURN count(DISTINCT so) AS orderCount
}
CALL (c) {
  OPTIONAL MATCH (c)<-[:SHIPS_TO]-(:Shipment)<-[:ITEM_OF_SHIPMENT]-(si:ShipmentItem)-[:SHIPS_LOT]->(lot:Lot)
  RETURN collect(DISTINCT lot.lotNumber) AS shippedLots, toFloat(coalesce(sum(si.shippedQuantity), 0)) AS shippedQuantity
}
CALL (c) {
  OPTIONAL MATCH (c)<-[:RAISED_BY]-(cmp:Complaint)
  WHERE ($from IS NULL OR cmp.openedAt >= $from) AND ($to IS NULL OR cmp.openedAt < $to)
  OPTIONAL MATCH (cmp)-[:CONCERNS_ORDER]->(so:SalesOrder)
  CALL (cmp) {
    OPTIONAL MATCH (cmp)-[:CONCERNS_LOT]->(lot:Lot)
    WITH lot ORDER BY lot.lotNumber
    RETURN collect(lot.lotNumber) AS lotNumbers
  }
  WITH cmp, so, lotNumbers
  ORDER BY cmp.openedAt, cmp.complaintNumber
  RETURN [x IN collect(CASE WHEN cmp IS NOT NULL THEN {
           complaintNumber: cmp.complaintNumber,
           openedAt: cmp.openedAt,
           closedAt: cmp.closedAt,
           status: cmp.status,
           severity: cmp.complaintSeverity,
           description: cmp.description,
           salesOrderNumber: so.salesOrderNumber,
           lotNumbers: lotNumbers
         } END) | x] AS complaints
}
CALL (c) {
  CALL (c) {
    MATCH (c)<-[:SHIPS_TO]-(:Shipment)<-[:ITEM_OF_SHIPMENT]-(:ShipmentItem)-[:SHIPS_LOT]->(:Lot)
          <-[:AFFECTS_LOT]-(nc:Nonconformance)
    RETURN nc
    UNION
    MATCH (c)<-[:RAISED_BY]-(:Complaint)<-[:RELATED_COMPLAINT]-(nc:Nonconformance)
    RETURN nc
  }
  WITH c, nc
  WHERE ($from IS NULL OR nc.raisedAt >= $from) AND ($to IS NULL OR nc.raisedAt < $to)
  OPTIONAL MATCH (nc)-[:AFFECTS_LOT]->(lot:Lot)
  OPTIONAL MATCH (lot)-[:PRODUCED_BY]->(po:ProductionOrder)
  OPTIONAL MATCH (nc)-[:RELATED_COMPLAINT]->(cmp:Complaint)
  CALL (c, lot) {
    // The customer's orders whose shipments carried the affected lot.
    OPTIONAL MATCH (c)<-[:SHIPS_TO]-(sh:Shipment)<-[:ITEM_OF_SHIPMENT]-(:ShipmentItem)-[:SHIPS_LOT]->(lot)
    OPTIONAL MATCH (sh)-[:SHIPS_ORDER]->(so:SalesOrder)
    WITH DISTINCT so ORDER BY so.salesOrderNumber
    RETURN collect(so.salesOrderNumber) AS salesOrderNumbers
  }
  WITH nc, lot, po, cmp, salesOrderNumbers
  ORDER BY nc.raisedAt, nc.nonconformanceNumber
  RETURN collect({
           nonconformanceNumber: nc.nonconformanceNumber,
           raisedAt: nc.raisedAt,
           status: nc.status,
           severity: nc.defectSeverity,
           defectCode: nc.defectCode,
           quantityAffected: nc.quantityAffected,
           lotNumber: lot.lotNumber,
           productionOrderNumber: po.productionOrderNumber,
           complaintNumber: cmp.complaintNumber,
           salesOrderNumbers: salesOrderNumbers
         }) AS nonconformances
}
// The lots and orders behind the complaints and nonconformances, each once, sorted.
CALL (complaints, nonconformances) {
  UNWIND [x IN complaints | x.lotNumbers] + [[x IN nonconformances WHERE x.lotNumber IS NOT NULL | x.lotNumber]]
    AS lotNumbers
  UNWIND lotNumbers AS lotNumber
  WITH DISTINCT lotNumber ORDER BY lotNumber
  RETURN collect(lotNumber) AS affectedLots
}
CALL (complaints, nonconformances) {
  UNWIND [[x IN complaints WHERE x.salesOrderNumber IS NOT NULL | x.salesOrderNumber]]
         + [x IN nonconformances | x.salesOrderNumbers] AS orderNumbers
  UNWIND orderNumbers AS orderNumber
  WITH DISTINCT orderNumber ORDER BY orderNumber
  RETURN collect(orderNumber) AS affectedOrders
}
RETURN c.customerNumber AS customerNumber,
       c.name AS customerName,
       orderCount,
       size(shippedLots) AS shippedLotCount,
       shippedQuantity,
       size(complaints) AS complaintCount,
       size([x IN complaints WHERE x.status IS NULL OR x.status <> 'CLOSED']) AS openComplaintCount,
       size(nonconformances) AS nonconformanceCount,
       size(affectedLots) AS affectedLotCount,
       CASE WHEN size(shippedLots) > 0
         THEN toFloat(size([l IN affectedLots WHERE l IN shippedLots])) / size(shippedLots)
       END AS affectedShippedLotRatio,
       affectedOrders AS affectedSalesOrderNumbers,
       affectedLots AS affectedLotNumbers,
       complaints,
       nonconformances
ORDER BY customerNumber
