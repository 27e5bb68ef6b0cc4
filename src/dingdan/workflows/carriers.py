"""The carriers this shop speaks to, built once from the settings.

The simulated carrier `sim` reads the system clock, so a test or demo that speeds the
clock up (FrozenClock, FastClock) drives its parcels along with everything else.
"""

from __future__ import annotations

import hashlib
import hmac

from dingdan.platform import clock
from dingdan.platform.settings import Settings, get_settings
from dingdan.shipping.adapters.aftership import AfterShipReceiver
from dingdan.shipping.adapters.base import CarrierRegistry
from dingdan.shipping.adapters.kuaidi100 import Kuaidi100Receiver
from dingdan.shipping.adapters.sim import SimCarrier
from dingdan.shipping.adapters.sim_journey import NO_INCIDENTS, SimProfile

_registry: CarrierRegistry | None = None


def sim_secret(settings: Settings) -> str:
    """The configured secret, or one derived from the shop's secret key."""
    if settings.sim_webhook_secret:
        return settings.sim_webhook_secret
    key = settings.resolved_secret_key().encode()
    return hmac.new(key, b"dingdan sim carrier pushes", hashlib.sha256).hexdigest()


def build_carriers(settings: Settings, *, sim_profile: SimProfile | None = None) -> CarrierRegistry:
    profile = sim_profile or (SimProfile() if settings.sim_incidents else NO_INCIDENTS)
    return CarrierRegistry(
        [
            SimCarrier(clock=clock.now, secret=sim_secret(settings), seed=settings.sim_seed, profile=profile),
            AfterShipReceiver(webhook_secret=settings.aftership_webhook_secret),
            Kuaidi100Receiver(salt=settings.kuaidi100_salt),
        ]
    )


def get_carriers() -> CarrierRegistry:
    global _registry  # noqa: PLW0603
    if _registry is None:
        _registry = build_carriers(get_settings())
    return _registry


def use_carriers(registry: CarrierRegistry | None) -> None:
    """Replace the carriers (tests, demos); None builds them again from the settings."""
    global _registry  # noqa: PLW0603
    _registry = registry
