"""Orders placed as a guest join the account that proves it owns their e-mail or phone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.customers import service as customers
from dingdan.customers.errors import ContactNotVerified
from dingdan.orders import service as orders
from dingdan.orders.customer_queries import list_guest_orders


async def claim_guest_orders(session: AsyncSession, *, customer_id: int) -> list[str]:
    """Numbers of the guest orders now owned by the customer (only verified contacts count)."""
    account = await customers.get_account(session, customer_id=customer_id)
    emails = [account.email] if account.email and account.email_verified_at else []
    phones = [account.mobile] if account.mobile and account.mobile_verified_at else []
    if not emails and not phones:
        raise ContactNotVerified("verify your e-mail or mobile number to claim its orders", field="channel")
    claimed = []
    for order in await list_guest_orders(session, emails=emails, phones=phones):
        await orders.update_fields(
            session,
            order=order,
            values={"customer_id": customer_id},
            event=orders.TimelineEvent("order.claimed", f"customer:{customer_id}"),
        )
        claimed.append(order["number"])
    return claimed
