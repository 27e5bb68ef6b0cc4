"""Adapters to the channels that carry notifications: SMTP e-mail and SMS gateways."""
