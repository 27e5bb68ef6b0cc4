from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dingdan.shipping.adapters.base import Address, ParcelItem, ServiceType, ShipmentRequest

TAIPEI = ZoneInfo("Asia/Taipei")


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2024, 6, 3, 10, 0, tzinfo=TAIPEI))


def make_request(
    service: ServiceType = ServiceType.HOME_DELIVERY, recipient_city: str = "高雄市"
) -> ShipmentRequest:
    return ShipmentRequest(
        reference="DD20240603001",
        service=service,
        recipient=Address(
            name="王小明",
            phone="0912345678",
            city=recipient_city,
            district="前金區",
            street="中正四路211號",
            postal_code="801",
        ),
        sender=Address(
            name="好物小舖",
            phone="0223456789",
            city="臺北市",
            district="中正區",
            street="重慶南路一段122號",
            postal_code="100",
        ),
        items=(ParcelItem(sku="TS-RED-M", name="純棉短袖上衣", quantity=2),),
        pickup_store_id="F123456" if service is ServiceType.STORE_PICKUP else None,
        pickup_store_name="前金門市" if service is ServiceType.STORE_PICKUP else None,
    )


@pytest.fixture
def shipment_request():
    """Factory for a parcel from Taipei to `recipient_city`."""
    return make_request


@pytest.fixture
def carriers():
    """A registry with known secrets and a simulated carrier without incidents."""
    from dingdan.workflows.carriers import use_carriers
    from factories.shipping import known_carriers

    registry = known_carriers()
    use_carriers(registry)
    yield registry
    use_carriers(None)
