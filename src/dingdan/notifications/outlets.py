"""The channels this process delivers through, built once from the settings.

E-mail is off unless `DINGDAN_SMTP_HOST` is set; SMS goes to the sandbox (which sends
nothing and keeps every message in the delivery log) unless `DINGDAN_SMS_GATEWAY=http`.
Tests and the demo replace them with `use_outlets(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from dingdan.notifications.adapters.email import EmailSender, SmtpEmailSender, SmtpSettings
from dingdan.notifications.adapters.sms import HttpSmsGateway, SandboxSmsGateway, SmsGateway
from dingdan.platform import clock
from dingdan.platform.settings import Settings, get_settings


@dataclass(frozen=True)
class Outlets:
    email: EmailSender | None
    sms: SmsGateway
    sms_provider: str
    sms_sender: str = "dingdan"
    email_provider: str = "smtp"

    @property
    def email_enabled(self) -> bool:
        return self.email is not None


_current: Outlets | None = None


def build_outlets(settings: Settings) -> Outlets:
    email = None
    if settings.smtp_host:
        email = SmtpEmailSender(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_sender,
                starttls=settings.smtp_starttls,
                implicit_tls=settings.smtp_implicit_tls,
                username=settings.smtp_username or None,
                password=settings.smtp_password or None,
            )
        )
    if settings.sms_gateway == "http" and settings.sms_url:
        gateway: SmsGateway = HttpSmsGateway(
            url=settings.sms_url,
            secret=settings.sms_secret,
            client=httpx.AsyncClient(trust_env=False, follow_redirects=False),
            clock=clock.now,
            policy=settings.outbound_policy(),
        )
        return Outlets(email, gateway, "http", settings.sms_sender)
    return Outlets(email, SandboxSmsGateway(clock=clock.now), "sandbox", settings.sms_sender)


def get_outlets() -> Outlets:
    global _current  # noqa: PLW0603
    if _current is None:
        _current = build_outlets(get_settings())
    return _current


def use_outlets(outlets: Outlets | None) -> None:
    """Replace the outlets (None: rebuild from the settings on next use)."""
    global _current  # noqa: PLW0603
    _current = outlets
