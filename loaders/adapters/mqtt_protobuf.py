"""Sparkplug B payloads: the protobuf schema of the Eclipse Sparkplug B specification (3.0), built
in code with the ``protobuf`` runtime (no ``protoc`` step), and metric values read and written.

What is built is the specification's ``org.eclipse.tahu.protobuf.Payload`` (proto2): the payload's
``timestamp`` (1), ``metrics`` (2), ``seq`` (3), ``uuid`` (4), ``body`` (5), and each metric's
``name`` (1), ``alias`` (2), ``timestamp`` (3), ``datatype`` (4), ``is_historical`` (5),
``is_transient`` (6), ``is_null`` (7) and scalar values ``int_value`` (10) … ``bytes_value`` (16).
The specification's DataSet, Template, PropertySet and MetaData fields (8, 9, 17–19) are not
declared: a payload that has them still parses (protobuf keeps unknown fields), and a metric whose
value is one of them reads as having no scalar value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

PACKAGE = "org.eclipse.tahu.protobuf"

#: The specification's DataType enumeration (the scalar ones; arrays and structures are 16–34).
DATATYPES: dict[str, int] = {
    "Int8": 1,
    "Int16": 2,
    "Int32": 3,
    "Int64": 4,
    "UInt8": 5,
    "UInt16": 6,
    "UInt32": 7,
    "UInt64": 8,
    "Float": 9,
    "Double": 10,
    "Boolean": 11,
    "String": 12,
    "DateTime": 13,
    "Text": 14,
    "UUID": 15,
    "Bytes": 17,
}
_NAMES = {number: name for name, number in DATATYPES.items()}
#: Where each data type's value lives (the oneof member of Metric).
_VALUE_FIELD = {
    **dict.fromkeys(("Int8", "Int16", "Int32", "UInt8", "UInt16", "UInt32"), "int_value"),
    **dict.fromkeys(("Int64", "UInt64", "DateTime"), "long_value"),
    "Float": "float_value",
    "Double": "double_value",
    "Boolean": "boolean_value",
    **dict.fromkeys(("String", "Text", "UUID"), "string_value"),
    "Bytes": "bytes_value",
}
#: Signed types are carried in unsigned fields as two's complement (specification 6.4.16).
_SIGNED_BITS = {"Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64}


class SparkplugDecodeError(ValueError):
    """The bytes are not a Sparkplug B payload."""


def _field(
    message: descriptor_pb2.DescriptorProto,
    name: str,
    number: int,
    kind: int,
    *,
    repeated: bool = False,
    type_name: str = "",
    oneof: int | None = None,
) -> None:
    field = message.field.add(name=name, number=number, type=kind)
    field.label = (
        descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
        if repeated
        else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    )
    if type_name:
        field.type_name = type_name
    if oneof is not None:
        field.oneof_index = oneof


def _file() -> descriptor_pb2.FileDescriptorProto:
    F = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="digispine/sparkplug_b.proto", package=PACKAGE, syntax="proto2"
    )
    payload = proto.message_type.add(name="Payload")
    metric = payload.nested_type.add(name="Metric")
    _field(metric, "name", 1, F.TYPE_STRING)
    _field(metric, "alias", 2, F.TYPE_UINT64)
    _field(metric, "timestamp", 3, F.TYPE_UINT64)
    _field(metric, "datatype", 4, F.TYPE_UINT32)
    _field(metric, "is_historical", 5, F.TYPE_BOOL)
    _field(metric, "is_transient", 6, F.TYPE_BOOL)
    _field(metric, "is_null", 7, F.TYPE_BOOL)
    metric.oneof_decl.add(name="value")
    for name, number, kind in (
        ("int_value", 10, F.TYPE_UINT32),
        ("long_value", 11, F.TYPE_UINT64),
        ("float_value", 12, F.TYPE_FLOAT),
        ("double_value", 13, F.TYPE_DOUBLE),
        ("boolean_value", 14, F.TYPE_BOOL),
        ("string_value", 15, F.TYPE_STRING),
        ("bytes_value", 16, F.TYPE_BYTES),
    ):
        _field(metric, name, number, kind, oneof=0)
    _field(payload, "timestamp", 1, F.TYPE_UINT64)
    _field(payload, "metrics", 2, F.TYPE_MESSAGE, repeated=True, type_name=f".{PACKAGE}.Payload.Metric")
    _field(payload, "seq", 3, F.TYPE_UINT64)
    _field(payload, "uuid", 4, F.TYPE_STRING)
    _field(payload, "body", 5, F.TYPE_BYTES)
    return proto


def _payload_class() -> type[Message]:
    # A pool of our own: the default pool may hold another Sparkplug schema under the same name.
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_file())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.Payload"))


Payload = _payload_class()


@dataclass(frozen=True)
class Metric:
    """One metric as read: its name (None in a DATA message that sends only the alias), alias,
    timestamp (ms), data type name and value (None when null or not a scalar)."""

    name: str | None
    alias: int | None
    timestamp: int | None
    datatype: str | None
    value: Any


@dataclass(frozen=True)
class SparkplugPayload:
    """A decoded payload: its timestamp (ms), sequence number and metrics."""

    timestamp: int | None
    seq: int | None
    metrics: tuple[Metric, ...]


def decode(raw: bytes) -> SparkplugPayload:
    """The payload of ``raw``, or :class:`SparkplugDecodeError`."""
    message: Any = Payload()
    try:
        message.ParseFromString(raw)
    except DecodeError as exc:
        raise SparkplugDecodeError(f"not a Sparkplug B protobuf payload: {exc}") from None
    return SparkplugPayload(
        timestamp=message.timestamp if message.HasField("timestamp") else None,
        seq=message.seq if message.HasField("seq") else None,
        metrics=tuple(_metric(m) for m in message.metrics),
    )


def _metric(message: Any) -> Metric:
    datatype = _NAMES.get(message.datatype) if message.HasField("datatype") else None
    return Metric(
        name=message.name if message.HasField("name") else None,
        alias=message.alias if message.HasField("alias") else None,
        timestamp=message.timestamp if message.HasField("timestamp") else None,
        datatype=datatype,
        value=None if message.is_null else _value(message, datatype),
    )


def _value(message: Any, datatype: str | None) -> Any:
    member = message.WhichOneof("value")
    if member is None:
        return None
    value = getattr(message, member)
    bits = _SIGNED_BITS.get(datatype or "")
    if bits and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def encode(metrics: list[dict[str, Any]], *, timestamp: int | None = None, seq: int | None = None) -> bytes:
    """A payload of ``metrics`` (each ``{"name"?, "alias"?, "timestamp"?, "datatype", "value"}``,
    ``datatype`` a name of :data:`DATATYPES`): what an edge node sends; used by the simulator,
    the bridge's rebirth request and the tests."""
    message: Any = Payload()
    if timestamp is not None:
        message.timestamp = timestamp
    if seq is not None:
        message.seq = seq
    for spec in metrics:
        metric = message.metrics.add()
        if spec.get("name") is not None:
            metric.name = spec["name"]
        if spec.get("alias") is not None:
            metric.alias = spec["alias"]
        if spec.get("timestamp") is not None:
            metric.timestamp = spec["timestamp"]
        datatype = spec["datatype"]
        metric.datatype = DATATYPES[datatype]
        value = spec.get("value")
        if value is None:
            metric.is_null = True
            continue
        bits = _SIGNED_BITS.get(datatype)
        if bits and value < 0:
            value += 1 << bits
        setattr(metric, _VALUE_FIELD[datatype], value)
    return bytes(message.SerializeToString())
