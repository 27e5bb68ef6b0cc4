"""Adapters to payment providers; `base` holds the contract they keep."""
