"""Imports every domain's tables so that `Base.metadata` is complete (migrations, tests)."""

from __future__ import annotations

from dingdan.aftersales import models as aftersales_models
from dingdan.auth import models as auth_models
from dingdan.catalog import models as catalog_models
from dingdan.channels import models as channels_models
from dingdan.customers import models as customers_models
from dingdan.inventory import models as inventory_models
from dingdan.notifications import models as notifications_models
from dingdan.orders import models as orders_models
from dingdan.payments import models as payments_models
from dingdan.platform import audit as platform_audit
from dingdan.platform import events as platform_events
from dingdan.platform.db import Base
from dingdan.reports import models as reports_models
from dingdan.shipping import models as shipping_models

metadata = Base.metadata
MODULES = (
    auth_models,
    catalog_models,
    channels_models,
    inventory_models,
    orders_models,
    platform_events,
    platform_audit,
    notifications_models,
    aftersales_models,
    shipping_models,
    customers_models,
    payments_models,
    reports_models,
)
