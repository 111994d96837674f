// sipoc v1 — suppliers, inputs, process, outputs and customers of each work center in a period.
// Per completed operation: its neighbours in the order's routing (previous and next operation),
// the lots its order consumed (first operation) or produced (last operation), and who stands
// behind them; every such flow is one row (role, kind, id), aggregated per work center.
WITH coalesce($asOf, datetime()) AS asOf
WITH asOf, $from AS p0, CASE WHEN $to < asOf THEN $to ELSE asOf END AS p1
MATCH (op:Operation)-[:OPERATION_OF]->(po:ProductionOrder)
WHERE op.actualStart IS NOT NULL AND op.actualEnd >= p0 AND op.actualEnd < p1
CALL (op) {
  // The process: the nearest work center above (or at) the equipment the operation ran on.
  OPTIONAL MATCH path = (op)-[:PERFORMED_ON]->(:Equipment)-[:PART_OF*0..3]->(wc:WorkCenter)
  WITH wc ORDER BY length(path), wc.equipmentId
  RETURN head(collect(wc)) AS wc
}
WITH asOf, p0, p1, op, po, wc
WHERE wc IS NOT NULL AND ($processId IS NULL OR wc.equipmentId = $processId)
// The process itself: its operations completed in the period and their quantities.
WITH asOf, p0, p1, op, po, wc ORDER BY op.name
WITH asOf, p0, p1, wc,
     collect(DISTINCT op.name) AS operationNames,
     count(op) AS operationCount,
     count(DISTINCT po) AS productionOrderCount,
     toFloat(sum(coalesce(op.producedQuantity, 0))) AS producedQuantity,
     toFloat(sum(coalesce(op.goodQuantity, 0))) AS goodQuantity,
     toFloat(sum(coalesce(op.scrapQuantity, 0))) AS scrapQuantity,
     collect({op: op, po: po}) AS completed
UNWIND completed AS done
WITH asOf, p0, p1, wc, operationNames, operationCount, productionOrderCount, producedQuantity,
     goodQuantity, scrapQuantity, done.op AS op, done.po AS po
OPTIONAL MATCH (po)-[:PRODUCES_MATERIAL]->(m:Material)
CALL (op, po, asOf) {
  // The previous and next operation of the same order, with the work center each ran at.
  OPTIONAL MATCH (other:Operation)-[:OPERATION_OF]->(po)
  WHERE other.sequence IS NOT NULL AND other <> op
  OPTIONAL MATCH path = (other)-[:PERFORMED_ON]->(:Equipment)-[:PART_OF*0..3]->(owc:WorkCenter)
  WHERE other.actualStart <= asOf
  WITH op, other, owc ORDER BY other.sequence, other.operationId, length(path)
  WITH op, collect({op: other, wc: owc}) AS others
  WITH [o IN others WHERE o.op.sequence < op.sequence] AS before,
       [o IN others WHERE o.op.sequence > op.sequence] AS after
  WITH CASE WHEN size(before) > 0 THEN before[-1] END AS previous,
       CASE WHEN size(after) > 0 THEN head(after) END AS next
  RETURN previous.op AS prev, previous.wc AS prevWc, next.op AS next, next.wc AS nextWc
}
CALL (op, po, m, prev, prevWc, next, nextWc, asOf) {
  // Supplied by the previous operation: the order's material in process.
  WITH prev, prevWc, m WHERE prev IS NOT NULL
  RETURN 'SUPPLIER' AS role, 'PROCESS' AS kind, prevWc.equipmentId AS id, prevWc.name AS name,
         null AS lot, prev.goodQuantity AS quantity
  UNION ALL
  WITH prev, m WHERE prev IS NOT NULL
  RETURN 'INPUT' AS role, 'IN_PROCESS' AS kind, m.materialNumber AS id, m.name AS name,
         null AS lot, prev.goodQuantity AS quantity
  UNION ALL
  // A first operation takes in the lots the order consumed, from their makers or suppliers.
  WITH po, prev WHERE prev IS NULL
  CALL (po) {
    OPTIONAL MATCH (made:Lot)-[:PRODUCED_BY]->(po)
    OPTIONAL MATCH (made)-[:CONSUMED_LOT]->(genealogy:Lot)
    WITH po, collect(DISTINCT genealogy) AS fromGenealogy
    OPTIONAL MATCH (issue:GoodsMovement)-[:POSTED_FOR_PRODUCTION_ORDER]->(po)
    WHERE issue.movementType = '261'
    OPTIONAL MATCH (issue)-[:MOVED_LOT]->(issued:Lot)
    WITH fromGenealogy, collect(DISTINCT issued) AS fromIssues
    UNWIND fromGenealogy + [l IN fromIssues WHERE NOT l IN fromGenealogy] AS lot
    RETURN lot
  }
  WITH DISTINCT po, lot
  CALL (po, lot) {
    OPTIONAL MATCH (issue:GoodsMovement)-[:POSTED_FOR_PRODUCTION_ORDER]->(po)
    WHERE issue.movementType = '261' AND EXISTS { (issue)-[:MOVED_LOT]->(lot) }
    RETURN CASE WHEN count(issue) > 0 THEN toFloat(sum(issue.movementQuantity)) END AS issuedQuantity
  }
  CALL (lot) {
    OPTIONAL MATCH (lot)-[:PRODUCED_BY]->(maker:ProductionOrder)
    OPTIONAL MATCH path = (maker)<-[:OPERATION_OF]-(mop:Operation)-[:PERFORMED_ON]->(:Equipment)
                          -[:PART_OF*0..3]->(mwc:WorkCenter)
    WITH lot, maker, mwc ORDER BY mop.sequence DESC, length(path)
    WITH lot, maker, head(collect(mwc)) AS makerWc
    OPTIONAL MATCH (lot)-[:SUPPLIED_BY]->(direct:Supplier)
    OPTIONAL MATCH (lot)<-[:MOVED_LOT]-(:GoodsMovement)-[:POSTED_FOR_PURCHASE_ORDER]->(:PurchaseOrder)
                   -[:PURCHASED_FROM]->(purchased:Supplier)
    WITH maker, makerWc, head(collect(coalesce(direct, purchased))) AS supplier
    RETURN CASE WHEN maker IS NOT NULL THEN 'PROCESS' ELSE 'SUPPLIER' END AS supplierKind,
           CASE WHEN maker IS NOT NULL THEN makerWc.equipmentId ELSE supplier.supplierId END AS supplierId,
           CASE WHEN maker IS NOT NULL THEN makerWc.name ELSE supplier.name END AS supplierName
  }
  OPTIONAL MATCH (lot)-[:LOT_OF_MATERIAL]->(lm:Material)
  UNWIND [
    {role: 'INPUT', kind: 'LOT', id: lm.materialNumber, name: lm.name},
    {role: 'SUPPLIER', kind: supplierKind, id: supplierId, name: supplierName}
  ] AS flow
  RETURN flow.role AS role, flow.kind AS kind, flow.id AS id, flow.name AS name,
         lot.lotNumber AS lot, issuedQuantity AS quantity
  UNION ALL
  // Delivered to the next operation: the order's material in process.
  WITH op, next, nextWc, m WHERE next IS NOT NULL
  UNWIND [
    {role: 'OUTPUT', kind: 'IN_PROCESS', id: m.materialNumber, name: m.name},
    {role: 'CUSTOMER', kind: 'PROCESS', id: nextWc.equipmentId, name: nextWc.name}
  ] AS flow
  RETURN flow.role AS role, flow.kind AS kind, flow.id AS id, flow.name AS name,
         null AS lot, op.goodQuantity AS quantity
  UNION ALL
  // A last operation hands over the order's lots.
  WITH po, next, asOf WHERE next IS NULL
  MATCH (made:Lot)-[:PRODUCED_BY]->(po)
  WHERE made.producedAt IS NULL OR made.producedAt <= asOf
  OPTIONAL MATCH (made)-[:LOT_OF_MATERIAL]->(lm:Material)
  RETURN 'OUTPUT' AS role, 'LOT' AS kind, lm.materialNumber AS id, lm.name AS name,
         made.lotNumber AS lot, toFloat(made.lotQuantity) AS quantity
  UNION ALL
  // ... to the customer of its sales order,
  WITH op, po, next WHERE next IS NULL
  MATCH (po)-[:FOR_SALES_ORDER_ITEM]->(:SalesOrderItem)-[:ITEM_OF]->(:SalesOrder)-[:ORDERED_BY]->(c:Customer)
  RETURN 'CUSTOMER' AS role, 'CUSTOMER' AS kind, c.customerNumber AS id, c.name AS name,
         null AS lot, op.goodQuantity AS quantity
  UNION ALL
  // ... or, made to stock, to the first operation of each order that consumed its lots.
  WITH po, next WHERE next IS NULL AND NOT EXISTS { (po)-[:FOR_SALES_ORDER_ITEM]->(:SalesOrderItem) }
  MATCH (made:Lot)-[:PRODUCED_BY]->(po)
  MATCH (made)<-[:CONSUMED_LOT]-(:Lot)-[:PRODUCED_BY]->(user:ProductionOrder)
  CALL (user) {
    OPTIONAL MATCH path = (user)<-[:OPERATION_OF]-(uop:Operation)-[:PERFORMED_ON]->(:Equipment)
                          -[:PART_OF*0..3]->(uwc:WorkCenter)
    WITH uwc ORDER BY uop.sequence, length(path)
    RETURN head(collect(uwc)) AS userWc
  }
  RETURN 'CUSTOMER' AS role, 'PROCESS' AS kind, userWc.equipmentId AS id, userWc.name AS name,
         made.lotNumber AS lot, toFloat(made.lotQuantity) AS quantity
  UNION ALL
  // Every operation keeps its process in the result, even with no flow found.
  WITH op
  RETURN 'NONE' AS role, null AS kind, null AS id, null AS name, null AS lot, null AS quantity
}
WITH p0, p1, wc, operationNames, operationCount, productionOrderCount, producedQuantity, goodQuantity,
     scrapQuantity, po, role, kind, id, name, lot, quantity
ORDER BY role, kind, id IS NULL, id
// Per work center and flow: orders, lots and quantity (null when no row records a quantity).
WITH p0, p1, wc, operationNames, operationCount, productionOrderCount, producedQuantity, goodQuantity,
     scrapQuantity, role, kind, id, name,
     count(DISTINCT po) AS orderCount,
     count(DISTINCT lot) AS lotCount,
     CASE WHEN count(quantity) > 0 THEN toFloat(sum(quantity)) END AS quantity
WITH p0, p1, wc, operationNames, operationCount, productionOrderCount, producedQuantity, goodQuantity,
     scrapQuantity,
     collect(CASE WHEN role = 'SUPPLIER' THEN {kind: kind, id: id, name: name, orderCount: orderCount,
                  lotCount: lotCount, quantity: quantity} END) AS suppliers,
     collect(CASE WHEN role = 'INPUT' THEN {kind: kind, materialNumber: id, materialName: name,
                  orderCount: orderCount, lotCount: lotCount, quantity: quantity} END) AS inputs,
     collect(CASE WHEN role = 'OUTPUT' THEN {kind: kind, materialNumber: id, materialName: name,
                  orderCount: orderCount, lotCount: lotCount, quantity: quantity} END) AS outputs,
     collect(CASE WHEN role = 'CUSTOMER' THEN {kind: kind, id: id, name: name, orderCount: orderCount,
                  lotCount: lotCount, quantity: quantity} END) AS customers
RETURN wc.equipmentId AS processId,
       wc.name AS processName,
       p0 AS periodStart,
       p1 AS periodEnd,
       operationNames,
       operationCount,
       productionOrderCount,
       producedQuantity,
       goodQuantity,
       scrapQuantity,
       suppliers,
       inputs,
       outputs,
       customers
ORDER BY processId
