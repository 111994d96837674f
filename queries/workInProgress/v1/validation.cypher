// Moments to validate workInProgress at: now (the default), and a minute after the start of
// the three latest operations, so the sample has work in progress even when all is done now.
CALL () {
  RETURN null AS asOf
  UNION
  MATCH (op:Operation)
  WHERE op.actualStart IS NOT NULL
  WITH op ORDER BY op.actualStart DESC, op.operationId LIMIT 3
  RETURN op.actualStart + duration('PT1M') AS asOf
}
RETURN asOf
