"""`make cluster`: production mode on one machine — two API processes and two workers against
the local PostgreSQL and RabbitMQ; the schedule runs in whichever worker leads.

    python -m ops.cluster            # start, print the addresses, stop on Ctrl-C
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get(
    "DINGDAN_CLUSTER_PG_ADMIN", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
BROKER = os.environ.get("DINGDAN_CLUSTER_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


@dataclass
class Cluster:
    database_url: str
    broker_url: str = BROKER
    broker_queue: str = "dingdan"
    apis: list[str] = field(default_factory=list)
    api_processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    worker_processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # more DINGDAN_* for every process

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DINGDAN_DATABASE_URL": self.database_url,
            "DINGDAN_BROKER_URL": self.broker_url,
            "DINGDAN_BROKER_QUEUE": self.broker_queue,
            "DINGDAN_VAR_DIR": "var/cluster",
            "DINGDAN_LOG_LEVEL": "WARNING",
            "DINGDAN_RUN_RELAY": "true",
            **self.settings,
        }

    def start_worker(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "dingdan.cli", "worker"], env=self.env())
        self.worker_processes.append(process)
        return process

    def start_api(self) -> str:
        return self.start_apis(1)[0]

    def start_apis(self, count: int) -> list[str]:
        """`count` API processes started together (each takes seconds to import the app)."""
        ports = [free_port() for _ in range(count)]
        for port in ports:
            process = subprocess.Popen(
                [sys.executable, "-m", "dingdan.cli", "serve", "--port", str(port)],
                env=self.env(),
                stdout=subprocess.DEVNULL,
            )
            self.api_processes.append(process)
        for port in ports:
            wait_for_port(port, seconds=30 + 15 * count)  # they share the cores while they start
            self.apis.append(f"http://127.0.0.1:{port}")
        return self.apis[-count:]

    def stop(self) -> None:
        for process in self.api_processes + self.worker_processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.api_processes + self.worker_processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def fresh_database(name: str) -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0].replace("+psycopg2", "+asyncpg") + f"/{name}"
    env = {**os.environ, "DINGDAN_DATABASE_URL": url, "DINGDAN_VAR_DIR": "var/cluster"}
    subprocess.run(
        [sys.executable, "-m", "dingdan.cli", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [sys.executable, "-m", "dingdan.cli", "demo", "--orders", "0"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


@contextmanager
def running(
    name: str = "dingdan_cluster", apis: int = 2, workers: int = 2, broker_url: str = BROKER
) -> Iterator[Cluster]:
    """A fresh database `name`; the broker's queue is named after it, so runs do not mix."""
    cluster = Cluster(fresh_database(name), broker_url, broker_queue=name)
    try:
        for _ in range(workers):
            cluster.start_worker()
        cluster.start_apis(apis)
        yield cluster
    finally:
        cluster.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def main() -> None:
    with running() as cluster:
        print(
            "dingdan cluster: PostgreSQL + RabbitMQ, 2 API processes, 2 workers (the leader runs the schedule)"
        )
        for api in cluster.apis:
            print(f"  API      {api}  (console {api}/console/)")
        for process in cluster.worker_processes:
            print(f"  worker   pid {process.pid}")
        print("Ctrl-C stops everything.")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
