"""The wording of every notification, in zh-Hant and English.

Each template has a subject (e-mail), a short line (SMS and the console's live feed), the body
paragraphs and, optionally, the label of a link to `action_url` when the context has one.
Placeholders are `{field}`; `templates.render` fills them from the context and tells which
ones are missing. zh-Hant wording follows the storefront's terms (待付款, 待發貨, 已發貨,
已完成, 已取消, 物流單號).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Locale(StrEnum):
    ZH_HANT = "zh-Hant"
    EN = "en"


class MessageKind(StrEnum):
    """What happened. Customer messages first, then merchant alerts (`merchant.` prefix)."""

    ORDER_RECEIVED = "order.received"
    ORDER_PAID = "order.paid"
    ORDER_CONFIRMED = "order.confirmed"
    ORDER_SHIPPED = "order.shipped"
    OUT_FOR_DELIVERY = "order.out_for_delivery"
    DELIVERED = "order.delivered"
    DELIVERY_EXCEPTION = "order.delivery_exception"
    REFUND_ISSUED = "order.refund_issued"
    PAYMENT_TO_BE_REFUNDED = "order.payment_to_be_refunded"
    RESET_CODE = "account.reset_code"
    VERIFICATION_CODE = "account.verification_code"
    NEW_ORDER = "merchant.new_order"
    ORDER_NEEDS_REVIEW = "merchant.order_needs_review"
    LOW_STOCK = "merchant.low_stock"
    PARCEL_EXCEPTION = "merchant.parcel_exception"
    RETURN_REQUESTED = "merchant.return_requested"
    PAYMENT_NEEDS_REFUND = "merchant.payment_needs_refund"
    PAYMENT_REFUND_QUEUED = "merchant.payment_refund_queued"

    @property
    def for_merchant(self) -> bool:
        return self.value.startswith("merchant.")


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    subject: str
    short: str
    body: tuple[str, ...]
    action_label: str | None = None


_ZH_HELLO = "{customer_name} 您好:"
_EN_HELLO = "Dear {customer_name},"

_ZH: dict[MessageKind, MessageTemplate] = {
    MessageKind.RESET_CODE: MessageTemplate(
        subject="【{shop_name}】重設密碼驗證碼",
        short="【{shop_name}】重設密碼驗證碼:{code},{expires_minutes} 分鐘內有效。"
        "若非本人操作,請忽略此訊息。",
        body=(
            "您的重設密碼驗證碼為 {code}。",
            "驗證碼 {expires_minutes} 分鐘內有效,僅能使用一次。若非本人操作,請忽略此訊息。",
        ),
    ),
    MessageKind.VERIFICATION_CODE: MessageTemplate(
        subject="【{shop_name}】驗證碼",
        short="【{shop_name}】您的驗證碼:{code},{expires_minutes} 分鐘內有效。",
        body=("您的驗證碼為 {code}。", "驗證碼 {expires_minutes} 分鐘內有效,僅能使用一次。"),
    ),
    MessageKind.ORDER_RECEIVED: MessageTemplate(
        subject="【{shop_name}】已收到您的訂單 {order_number}",
        short="【{shop_name}】已收到您的訂單 {order_number},金額 {total},狀態:待付款。",
        body=(
            _ZH_HELLO,
            "我們已收到您的訂單 {order_number}(下單時間 {placed_at}),訂單金額 {total}。",
            "目前狀態:待付款。請於 {pay_by} 前完成付款,逾時未付款的訂單將自動取消。",
        ),
        action_label="前往付款",
    ),
    MessageKind.ORDER_PAID: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 付款成功",
        short="【{shop_name}】已收到訂單 {order_number} 的付款 {amount},狀態:待發貨。",
        body=(
            _ZH_HELLO,
            "我們已收到訂單 {order_number} 的付款 {amount}。",
            "目前狀態:待發貨。商品發貨後,我們會再通知您物流單號。",
        ),
        action_label="查看訂單",
    ),
    MessageKind.ORDER_CONFIRMED: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 已確認",
        short="【{shop_name}】訂單 {order_number} 已確認,正在備貨,狀態:待發貨。",
        body=(_ZH_HELLO, "您的訂單 {order_number} 已確認,我們正在為您備貨。", "目前狀態:待發貨。"),
        action_label="查看訂單",
    ),
    MessageKind.ORDER_SHIPPED: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 已發貨",
        short="【{shop_name}】訂單 {order_number} 已發貨,{carrier} 物流單號 {tracking_number}。",
        body=(
            _ZH_HELLO,
            "您的訂單 {order_number} 已發貨,目前狀態:已發貨。",
            "物流公司:{carrier}",
            "物流單號:{tracking_number}",
        ),
        action_label="追蹤包裹",
    ),
    MessageKind.OUT_FOR_DELIVERY: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 包裹派送中",
        short="【{shop_name}】訂單 {order_number} 的包裹正在派送,{carrier} 物流單號 "
        "{tracking_number},請留意收件。",
        body=(
            _ZH_HELLO,
            "您訂單 {order_number} 的包裹正在派送中,請留意收件。",
            "物流公司:{carrier}",
            "物流單號:{tracking_number}",
        ),
        action_label="追蹤包裹",
    ),
    MessageKind.DELIVERED: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 包裹已送達",
        short="【{shop_name}】訂單 {order_number} 的包裹已於 {delivered_at} 送達,請至「我的訂單」確認收貨。",
        body=(
            _ZH_HELLO,
            "您訂單 {order_number} 的包裹已於 {delivered_at} 送達。",
            "收到商品後,請至「我的訂單」確認收貨;確認後訂單狀態為已完成。",
        ),
        action_label="確認收貨",
    ),
    MessageKind.DELIVERY_EXCEPTION: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 物流異常",
        short="【{shop_name}】訂單 {order_number} 的包裹({carrier} 物流單號 {tracking_number})"
        "出現異常:{exception_reason}。我們正在處理。",
        body=(
            _ZH_HELLO,
            "您訂單 {order_number} 的包裹出現異常:{exception_reason}。",
            "物流公司:{carrier},物流單號:{tracking_number}。",
            "我們正在與物流公司處理,並會盡快與您聯絡。如有疑問,請聯絡客服。",
        ),
        action_label="查看物流資訊",
    ),
    MessageKind.REFUND_ISSUED: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 退款已辦理",
        short="【{shop_name}】訂單 {order_number} 已退款 {amount},將退回原付款方式。",
        body=(
            _ZH_HELLO,
            "訂單 {order_number} 的退款 {amount} 已辦理,將退回您的原付款方式。",
            "實際入帳時間依金融機構作業而定。",
        ),
        action_label="查看訂單",
    ),
    MessageKind.PAYMENT_TO_BE_REFUNDED: MessageTemplate(
        subject="【{shop_name}】訂單 {order_number} 的付款將退回",
        short="【{shop_name}】我們收到訂單 {order_number} 的付款 {amount},但{reason},"
        "款項將全額退回原付款方式。",
        body=(
            _ZH_HELLO,
            "我們收到您為訂單 {order_number} 支付的 {amount},但{reason},這筆付款無法用於此訂單。",
            "款項將全額退回您的原付款方式,退款辦理後會再通知您;實際入帳時間依金融機構作業而定。",
        ),
        action_label="查看訂單",
    ),
    MessageKind.NEW_ORDER: MessageTemplate(
        subject="新訂單 {order_number}:{total}",
        short="新訂單 {order_number}({channel}),{customer_name},金額 {total}。",
        body=("來自 {channel} 的新訂單 {order_number},顧客 {customer_name},訂單金額 {total}。",),
        action_label="處理訂單",
    ),
    MessageKind.ORDER_NEEDS_REVIEW: MessageTemplate(
        subject="訂單 {order_number} 待審核",
        short="訂單 {order_number} 待審核:{reason}",
        body=("訂單 {order_number} 需要人工審核,原因:{reason}。", "審核通過前不會發貨。"),
        action_label="審核訂單",
    ),
    MessageKind.LOW_STOCK: MessageTemplate(
        subject="庫存預警:{product_name}({sku})",
        short="庫存預警:{sku} 在 {warehouse} 可用庫存 {available},低於預警值 {threshold}。",
        body=(
            "{product_name}({sku})在 {warehouse} 的可用庫存為 {available},已低於預警值 {threshold}。",
            "請及時補貨,以免缺貨。",
        ),
        action_label="查看庫存",
    ),
    MessageKind.PARCEL_EXCEPTION: MessageTemplate(
        subject="包裹異常:訂單 {order_number}",
        short="包裹異常:訂單 {order_number},{carrier} 物流單號 {tracking_number}:{exception_reason}",
        body=(
            "訂單 {order_number} 的包裹出現異常:{exception_reason}。",
            "物流公司:{carrier},物流單號:{tracking_number}。",
        ),
        action_label="處理異常",
    ),
    MessageKind.RETURN_REQUESTED: MessageTemplate(
        subject="退貨申請:訂單 {order_number}",
        short="退貨申請:訂單 {order_number},原因:{reason}",
        body=("顧客 {customer_name} 對訂單 {order_number} 提出退貨/退款申請,原因:{reason}。",),
        action_label="處理申請",
    ),
    MessageKind.PAYMENT_NEEDS_REFUND: MessageTemplate(
        subject="待退款:訂單 {order_number} 收到無法入帳的付款 {amount}",
        short="待退款:訂單 {order_number} 收到付款 {amount},但{reason}。請退款給顧客。",
        body=(
            "訂單 {order_number} 收到顧客 {customer_name} 的付款 {amount},但{reason},這筆付款不會保留庫存。",
            "系統不會自動退款,請確認後在訂單頁按「退款」。",
        ),
        action_label="處理退款",
    ),
    MessageKind.PAYMENT_REFUND_QUEUED: MessageTemplate(
        subject="自動退款:訂單 {order_number} 的付款 {amount}",
        short="自動退款:訂單 {order_number} 收到付款 {amount},但{reason};已排入自動退款。",
        body=(
            "訂單 {order_number} 收到顧客 {customer_name} 的付款 {amount},但{reason},這筆付款不會保留庫存。",
            "系統已排入全額自動退款,並已通知顧客;退款結果會記在訂單的時間軸上。",
        ),
        action_label="查看訂單",
    ),
}

_EN: dict[MessageKind, MessageTemplate] = {
    MessageKind.RESET_CODE: MessageTemplate(
        subject="[{shop_name}] Your password reset code",
        short="[{shop_name}] Password reset code: {code} (valid {expires_minutes} minutes). "
        "If you did not ask for it, ignore this message.",
        body=(
            "Your code to reset the password is {code}.",
            "It is valid for {expires_minutes} minutes and works once. "
            "If you did not ask for it, ignore this message.",
        ),
    ),
    MessageKind.VERIFICATION_CODE: MessageTemplate(
        subject="[{shop_name}] Your verification code",
        short="[{shop_name}] Verification code: {code} (valid {expires_minutes} minutes).",
        body=(
            "Your verification code is {code}.",
            "It is valid for {expires_minutes} minutes and works once.",
        ),
    ),
    MessageKind.ORDER_RECEIVED: MessageTemplate(
        subject="[{shop_name}] We received your order {order_number}",
        short="[{shop_name}] Order {order_number} received, total {total}. Status: awaiting payment.",
        body=(
            _EN_HELLO,
            "We received your order {order_number} (placed {placed_at}), total {total}.",
            "Status: awaiting payment. Please pay by {pay_by}; unpaid orders are cancelled automatically.",
        ),
        action_label="Pay now",
    ),
    MessageKind.ORDER_PAID: MessageTemplate(
        subject="[{shop_name}] Payment received for order {order_number}",
        short="[{shop_name}] Payment of {amount} received for order {order_number}. "
        "Status: awaiting shipment.",
        body=(
            _EN_HELLO,
            "We received your payment of {amount} for order {order_number}.",
            "Status: awaiting shipment. We will send you the tracking number once it ships.",
        ),
        action_label="View order",
    ),
    MessageKind.ORDER_CONFIRMED: MessageTemplate(
        subject="[{shop_name}] Order {order_number} confirmed",
        short="[{shop_name}] Order {order_number} confirmed; we are preparing it.",
        body=(
            _EN_HELLO,
            "Your order {order_number} is confirmed and we are preparing your items.",
            "Status: awaiting shipment.",
        ),
        action_label="View order",
    ),
    MessageKind.ORDER_SHIPPED: MessageTemplate(
        subject="[{shop_name}] Order {order_number} has shipped",
        short="[{shop_name}] Order {order_number} shipped with {carrier}, tracking number {tracking_number}.",
        body=(
            _EN_HELLO,
            "Your order {order_number} has shipped. Status: shipped.",
            "Carrier: {carrier}",
            "Tracking number: {tracking_number}",
        ),
        action_label="Track parcel",
    ),
    MessageKind.OUT_FOR_DELIVERY: MessageTemplate(
        subject="[{shop_name}] Order {order_number} is out for delivery",
        short="[{shop_name}] Order {order_number} is out for delivery with {carrier}, "
        "tracking number {tracking_number}.",
        body=(
            _EN_HELLO,
            "The parcel of your order {order_number} is out for delivery today.",
            "Carrier: {carrier}",
            "Tracking number: {tracking_number}",
        ),
        action_label="Track parcel",
    ),
    MessageKind.DELIVERED: MessageTemplate(
        subject="[{shop_name}] Order {order_number} was delivered",
        short="[{shop_name}] Order {order_number} was delivered on {delivered_at}. "
        "Please confirm receipt in My orders.",
        body=(
            _EN_HELLO,
            "The parcel of your order {order_number} was delivered on {delivered_at}.",
            "Once you have it, please confirm receipt in My orders to complete the order.",
        ),
        action_label="Confirm receipt",
    ),
    MessageKind.DELIVERY_EXCEPTION: MessageTemplate(
        subject="[{shop_name}] Delivery problem with order {order_number}",
        short="[{shop_name}] The parcel of order {order_number} ({carrier}, tracking number "
        "{tracking_number}) has a problem: {exception_reason}. We are on it.",
        body=(
            _EN_HELLO,
            "The parcel of your order {order_number} has a problem: {exception_reason}.",
            "Carrier: {carrier}, tracking number: {tracking_number}.",
            "We are working on it with the carrier and will contact you soon.",
        ),
        action_label="View tracking",
    ),
    MessageKind.REFUND_ISSUED: MessageTemplate(
        subject="[{shop_name}] Refund issued for order {order_number}",
        short="[{shop_name}] A refund of {amount} was issued for order {order_number}.",
        body=(
            _EN_HELLO,
            "A refund of {amount} for order {order_number} was issued to your original payment method.",
            "When it reaches your account depends on your bank or card issuer.",
        ),
        action_label="View order",
    ),
    MessageKind.PAYMENT_TO_BE_REFUNDED: MessageTemplate(
        subject="[{shop_name}] Your payment for order {order_number} will be refunded",
        short="[{shop_name}] We received {amount} for order {order_number}, but {reason}. "
        "It will be refunded in full to your original payment method.",
        body=(
            _EN_HELLO,
            "We received your payment of {amount} for order {order_number}, but {reason}, "
            "so it cannot pay for this order.",
            "It will be refunded in full to your original payment method; we will tell you when "
            "the refund is issued. When it reaches your account depends on your bank or card issuer.",
        ),
        action_label="View order",
    ),
    MessageKind.NEW_ORDER: MessageTemplate(
        subject="New order {order_number}: {total}",
        short="New order {order_number} ({channel}) from {customer_name}, total {total}.",
        body=("New order {order_number} from {channel}: {customer_name}, total {total}.",),
        action_label="Open order",
    ),
    MessageKind.ORDER_NEEDS_REVIEW: MessageTemplate(
        subject="Order {order_number} needs review",
        short="Order {order_number} needs review: {reason}",
        body=(
            "Order {order_number} needs a manual review: {reason}.",
            "It will not ship until it is approved.",
        ),
        action_label="Review order",
    ),
    MessageKind.LOW_STOCK: MessageTemplate(
        subject="Low stock: {product_name} ({sku})",
        short="Low stock: {sku} at {warehouse} has {available} available, "
        "below the threshold of {threshold}.",
        body=(
            "{product_name} ({sku}) at {warehouse} has {available} available, "
            "below the threshold of {threshold}.",
            "Restock soon to avoid running out.",
        ),
        action_label="View stock",
    ),
    MessageKind.PARCEL_EXCEPTION: MessageTemplate(
        subject="Parcel problem: order {order_number}",
        short="Parcel problem: order {order_number}, {carrier} {tracking_number}: {exception_reason}",
        body=(
            "The parcel of order {order_number} has a problem: {exception_reason}.",
            "Carrier: {carrier}, tracking number: {tracking_number}.",
        ),
        action_label="Handle exception",
    ),
    MessageKind.RETURN_REQUESTED: MessageTemplate(
        subject="Return request: order {order_number}",
        short="Return request: order {order_number}, reason: {reason}",
        body=("{customer_name} asked for a return or refund of order {order_number}: {reason}.",),
        action_label="Handle request",
    ),
    MessageKind.PAYMENT_NEEDS_REFUND: MessageTemplate(
        subject="To refund: order {order_number} received a payment of {amount} it cannot use",
        short="To refund: order {order_number} received {amount}, but {reason}. Please refund the customer.",
        body=(
            "Order {order_number} received a payment of {amount} from {customer_name}, but {reason}; "
            "it reserves no stock.",
            "Nothing is refunded automatically: check it and press Refund on the order page.",
        ),
        action_label="Refund",
    ),
    MessageKind.PAYMENT_REFUND_QUEUED: MessageTemplate(
        subject="Automatic refund: order {order_number}, payment of {amount}",
        short="Automatic refund: order {order_number} received {amount}, but {reason}; "
        "a refund is on its way.",
        body=(
            "Order {order_number} received a payment of {amount} from {customer_name}, but {reason}; "
            "it reserves no stock.",
            "A full refund is queued and the customer has been told; the order's timeline shows how it ends.",
        ),
        action_label="View order",
    ),
}

# Why a payment flagged for a refund cannot pay for its order (payments.rules.FLAG_REASONS),
# as the {reason} of the messages above, in each language.
FLAG_REASON_WORDS: dict[Locale, dict[str, str]] = {
    Locale.ZH_HANT: {
        "order_cancelled": "此訂單已取消",
        "order_already_paid": "此訂單已付款過",
        "amount_mismatch": "付款金額與訂單金額不符",
    },
    Locale.EN: {
        "order_cancelled": "the order was already cancelled",
        "order_already_paid": "the order was already paid",
        "amount_mismatch": "the amount differs from the order's",
    },
}

TEMPLATES: dict[Locale, dict[MessageKind, MessageTemplate]] = {
    Locale.ZH_HANT: _ZH,
    Locale.EN: _EN,
}
