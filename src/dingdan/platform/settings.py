"""Settings from DINGDAN_* environment variables and a .env file."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dingdan.platform import outbound
from dingdan.platform.db import DEFAULT_POOL_SIZE

DEFAULT_VAR_DIR = Path("var")
MIN_WEBHOOK_RETENTION_DAYS = 7


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINGDAN_", env_file=".env", extra="ignore")

    database_url: str = ""
    database_pool_size: int = Field(
        default=DEFAULT_POOL_SIZE,
        ge=1,
        description="connections a process keeps to the database; a burst opens half as many again",
    )
    reports_database_url: str = ""
    var_dir: Path = DEFAULT_VAR_DIR
    secret_key: str = ""
    shop_name: str = "dingdan 示範商店"
    currency: str = "TWD"
    default_locale: str = "zh_Hant"
    shipping_fee: str = "80"
    free_shipping_threshold: str = "1000"
    max_line_quantity_review: int = Field(default=50, description="above this a line needs review")
    duplicate_window_minutes: int = 30
    unpaid_timeout_minutes: float = Field(default=30, gt=0, description="minutes; fractions allowed")
    idempotency_retention_hours: int = 24
    max_body_bytes: int = 1024 * 1024
    placement_batch_max: int = Field(default=64, ge=1, description="orders placed together at most")
    run_relay: bool = True
    freeze_startup_objects: bool = Field(
        default=True,
        description="leave start-up objects out of the garbage collector's walks (platform/memory.py)",
    )
    broker_url: str = ""
    broker_queue: str = Field(
        default="dingdan",
        description="queue (RabbitMQ), stream (Redis: <name>.events) or subject prefix (NATS); one per shop",
    )
    broker_reclaim_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Redis: a message a worker took and has not acknowledged for this long goes to "
        "another worker (the first one is taken for dead); longer than any one message takes",
    )
    redis_url: str = Field(
        default="", description="live console updates and rate limits shared across processes"
    )
    redis_key_prefix: str = Field(default="dingdan:", description="prefix of this shop's keys in Redis")
    forwarded_allow_ips: str = Field(
        default="", description="proxies trusted for X-Forwarded-For (client addresses); empty: none"
    )
    aftership_webhook_secret: str = Field(default="", description="signs AfterShip pushes")
    kuaidi100_salt: str = Field(default="", description="signs Kuaidi100 pushes")
    sim_webhook_secret: str = Field(default="", description="signs the simulated carrier's pushes")
    sim_seed: int = 0
    sim_incidents: bool = Field(
        default=True, description="the simulated carrier has failures, delays, losses"
    )
    ship_from_phone: str = "02-2345-6789"
    ship_from_city: str = "臺北市"
    ship_from_district: str = "中正區"
    ship_from_address: str = "重慶南路一段 122 號"
    auto_complete_days: int = Field(default=7, description="delivered orders complete after this")
    auto_refund_late_payments: bool = Field(
        default=True, description="a payment captured after its order was cancelled is refunded by itself"
    )
    sandbox_webhook_secret: str = ""
    webhook_retention_days: float = Field(
        default=8,
        description="days a received webhook's id is kept to recognise redeliveries (payments, carriers, "
        "marketplaces); at least 7, above the providers' 3-day retry and redelivery windows",
    )
    configure_logging: bool = True
    log_json: bool = True
    log_level: str = "INFO"
    outbound_allow_private: bool = Field(
        default=False,
        description="let outbound URLs reach loopback and private networks (development sandboxes only)",
    )
    # Notifications: e-mail is off until an SMTP host is set; SMS goes to the sandbox by default.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "shop@localhost"
    smtp_starttls: bool = False
    smtp_implicit_tls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    sms_gateway: str = Field(default="sandbox", description="sandbox or http")
    sms_url: str = Field(default="", description="the HTTP SMS gateway; must be a public http(s) address")
    sms_secret: str = ""
    sms_sender: str = "dingdan"

    @field_validator("webhook_retention_days")
    @classmethod
    def _retention_covers_redeliveries(cls, days: float) -> float:
        if days < MIN_WEBHOOK_RETENTION_DAYS:
            raise ValueError(
                f"DINGDAN_WEBHOOK_RETENTION_DAYS must be at least {MIN_WEBHOOK_RETENTION_DAYS}: providers "
                "redeliver for up to 3 days, and a shorter memory would process a redelivery twice"
            )
        return days

    @field_validator("sms_url")
    @classmethod
    def _sms_url_is_public(cls, url: str, info: ValidationInfo) -> str:
        if url and info.data.get("sms_gateway") == "http":
            allow_private = bool(info.data.get("outbound_allow_private"))
            outbound.check_literal(url, allow_private=allow_private, field="sms_url")
        return url

    notification_lease_seconds: int = Field(default=120, description="a claimed delivery is retried after")
    staff_digest_hour: int = Field(default=8, ge=0, le=23, description="local hour of the daily digest")
    time_zone: str = "Asia/Taipei"
    # After-sales
    aftersales_window_days: int = Field(default=7, description="days after delivery to ask for a return")
    photo_max_bytes: int = 5 * 1024 * 1024
    photo_max_pixels: int = 24_000_000
    photo_max_side: int = 2048
    max_import_bytes: int = Field(default=50 * 1024 * 1024, description="cap of an uploaded import file")

    def outbound_urls(self) -> dict[str, str]:
        """The configured URLs this process sends requests to, by setting name."""
        return {"sms_url": self.sms_url} if self.sms_gateway == "http" and self.sms_url else {}

    def outbound_policy(self) -> outbound.OutboundPolicy:
        return outbound.OutboundPolicy(allow_private=self.outbound_allow_private)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.var_dir / 'dingdan.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated on first start and kept under var/."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
