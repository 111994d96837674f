// Sample lots to validate lotGenealogy with: a few shipped finished lots (traced backward)
// and a few consumed raw lots (traced forward).
CALL () {
  MATCH (lot:Lot)<-[:SHIPS_LOT]-(:ShipmentItem)
  RETURN DISTINCT lot.lotNumber AS lotNumber
  ORDER BY lotNumber
  LIMIT 3
  UNION
  MATCH (lot:Lot)<-[:CONSUMED_LOT]-(:Lot)
  RETURN DISTINCT lot.lotNumber AS lotNumber
  ORDER BY lotNumber
  LIMIT 3
}
RETURN lotNumber
ORDER BY lotNumber
