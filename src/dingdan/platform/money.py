"""Money is Decimal. Amounts are rounded half-up to the currency's minor unit.

Rounding rule (documented in docs/money.md): line totals are exact (unit price × quantity);
the order total = sum of line totals + shipping fee − discount, rounded once, half-up, to the
currency's minor unit (TWD and JPY: whole units; most others: cents).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINOR_UNIT_DIGITS = {"TWD": 0, "JPY": 0, "KRW": 0, "USD": 2, "EUR": 2, "HKD": 2, "CNY": 2}
STORAGE_QUANTUM = Decimal("0.01")
ZERO = Decimal("0")


def quantum_for(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNIT_DIGITS.get(currency, 2))


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum_for(currency), rounding=ROUND_HALF_UP).quantize(STORAGE_QUANTUM)


def to_decimal(value: object) -> Decimal:
    """Decimal from str/int/Decimal; floats are refused so that no binary fraction sneaks in."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def format_money(amount: Decimal, currency: str, locale: str = "zh_Hant") -> str:
    from babel.numbers import format_currency

    digits = MINOR_UNIT_DIGITS.get(currency, 2)
    pattern = None if digits else "¤#,##0"
    return format_currency(amount, currency, format=pattern, locale=locale, currency_digits=False)


def money_text(amount: Decimal, currency: str) -> str:
    """The amount as a decimal string with the currency's digits (more only when needed)."""
    digits = MINOR_UNIT_DIGITS.get(currency, 2)
    if amount != amount.quantize(quantum_for(currency)):
        digits = 2
    return f"{amount:.{digits}f}"
