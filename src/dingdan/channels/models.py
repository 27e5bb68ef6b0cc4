"""Sales channels: where orders come from and how their intake behaves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, UtcDateTime


class Channel(Base):
    __tablename__ = "channels_channel"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(16))  # website, app, marketplace, manual, import
    stock_policy: Mapped[str] = mapped_column(String(16))  # reject | backorder
    auto_confirm: Mapped[bool] = mapped_column(Boolean, default=False)
    orders_arrive_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_secrets: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
