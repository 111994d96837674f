"""MQTT: the local broker (Debian's mosquitto) and the Unified Namespace → Kafka bridge."""
