"""A real Kafka broker for the whole test session.

The broker is the project's own local Kafka (started on free ports with a temporary data
directory and stopped at the end), or the one named by DIGISPINE_KAFKA_BOOTSTRAP when that is
set. tests/conftest.py registers the fixture once for the whole suite: do not import it into a
test module as well — every module that does gets a session fixture of its own, and so a broker
of its own that runs until the session ends (eleven of them slowed the suite to a crawl).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph_service.kafka import LocalKafka
from graph_service.settings import Settings, load_settings
from tests.conftest import free_port


def free_port_pair() -> tuple[int, int]:
    """Two distinct free loopback ports: the broker's and the controller's."""
    port = free_port()
    controller_port = free_port()
    while controller_port == port:
        controller_port = free_port()
    return port, controller_port


@pytest.fixture(scope="session")
def kafka_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings whose ``kafka_bootstrap_servers`` names a real, running broker."""
    settings = load_settings()
    if settings.external_kafka:
        yield settings
        return
    port, controller_port = free_port_pair()
    data_dir = tmp_path_factory.mktemp("kafka-session")
    local = LocalKafka(
        load_settings(
            data_dir=data_dir,
            kafka_port=port,
            kafka_controller_port=controller_port,
            kafka_bootstrap=None,
        )
    )
    local.start()
    try:
        yield load_settings(
            data_dir=data_dir,
            kafka_port=port,
            kafka_controller_port=controller_port,
            kafka_bootstrap=local.bootstrap_servers,
        )
    finally:
        local.stop()
