"""Operational scripts: a local cluster for trying production mode on one machine, and the
fault runs against it (crash run, nemesis soak)."""
