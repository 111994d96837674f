"""Kafka for DigiSpine: the local single-node broker (:mod:`.local_kafka`) and topic helpers."""

from graph_service.kafka.local_kafka import (
    KafkaTopicError,
    LocalKafka,
    LocalKafkaError,
    LocalStatus,
    create_topic,
)

__all__ = ["KafkaTopicError", "LocalKafka", "LocalKafkaError", "LocalStatus", "create_topic"]
