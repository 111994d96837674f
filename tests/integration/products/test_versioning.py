"""Two versions of orderFulfillment side by side; v1 is deprecated in the schema."""

from __future__ import annotations

from graph_service.products import DataProducts
from tests.integration.products.conftest import execute

INTROSPECT = """{
  __type(name: "Query") {
    fields(includeDeprecated: true) {
      name isDeprecated deprecationReason type { ofType { ofType { name } } }
    }
  }
}"""


def test_both_versions_are_fields_and_v1_is_deprecated(products: DataProducts) -> None:
    fields = {f["name"]: f for f in execute(products, INTROSPECT)["__type"]["fields"]}
    v1, v2, latest = fields["orderFulfillmentV1"], fields["orderFulfillmentV2"], fields["orderFulfillment"]
    assert v1["isDeprecated"] is True
    assert v1["deprecationReason"].startswith("Use orderFulfillmentV2")
    assert v2["isDeprecated"] is False and latest["isDeprecated"] is False

    def row_type(field: dict) -> str:  # the nullable list of non-null rows: [Row!]
        return field["type"]["ofType"]["ofType"]["name"]

    assert (row_type(v1), row_type(v2), row_type(latest)) == (
        "OrderFulfillmentV1Row",
        "OrderFulfillmentV2Row",
        "OrderFulfillmentV2Row",
    )


def test_the_versions_answer_side_by_side_from_the_same_graph(products: DataProducts) -> None:
    data = execute(
        products,
        """{
          old: orderFulfillmentV1 { salesOrderNumber onTime }
          new: orderFulfillmentV2(asOf: "2026-03-10T00:00:00Z") { salesOrderNumber deliveryStatus daysLate }
          latest: orderFulfillment(asOf: "2026-03-10T00:00:00Z") { salesOrderNumber deliveryStatus }
        }""",
    )
    assert data["old"] == [
        {"salesOrderNumber": "SO-1", "onTime": True},
        {"salesOrderNumber": "SO-2", "onTime": None},
        {"salesOrderNumber": "SO-3", "onTime": False},
    ]
    assert [(r["deliveryStatus"], r["daysLate"]) for r in data["new"]] == [
        ("ON_TIME", 0),
        ("OVERDUE", 6),
        ("LATE", 2),
    ]
    assert data["latest"] == [{k: r[k] for k in ("salesOrderNumber", "deliveryStatus")} for r in data["new"]]


def test_the_catalog_lists_both_versions_with_their_status(products: DataProducts) -> None:
    data = execute(
        products,
        """{ dataProducts(name: "orderFulfillment") {
              version status deprecationReason graphqlField latest
              parameters { name type required default }
        } }""",
    )
    v1, v2 = data["dataProducts"]
    assert (v1["version"], v1["status"], v1["graphqlField"], v1["latest"]) == (
        "1.0.0",
        "deprecated",
        "orderFulfillmentV1",
        False,
    )
    assert v1["deprecationReason"]
    assert (v2["version"], v2["status"], v2["latest"], v2["deprecationReason"]) == (
        "2.0.0",
        "active",
        True,
        None,
    )
    assert [p["name"] for p in v2["parameters"]] == ["asOf", "customerNumber", "from", "to"]
    assert {"name": "from", "type": "Date", "required": False, "default": None} in v2["parameters"]
