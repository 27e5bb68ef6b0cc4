"""Operational scripts: a local cluster for trying production mode on one machine."""
