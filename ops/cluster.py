"""`make cluster`: production mode on one machine — two API processes and two workers against
the local PostgreSQL and RabbitMQ; the schedule runs in whichever worker leads.

    python -m ops.cluster            # start, print the addresses, stop on Ctrl-C

Also what the fault runs share: restarting a killed process in its place, restarting the local
PostgreSQL, waiting for the outbox to drain, and the `dingdan check` auditor.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

from dingdan.platform import migrate
from ops.outbox import sync_url

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
    settings: Mapping[str, str] = field(default_factory=dict)  # more DINGDAN_* for every process
    log_dir: Path | None = None  # each process's output in <role>-<slot>.log there

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
        self.worker_processes.append(self._spawn_worker(len(self.worker_processes)))
        return self.worker_processes[-1]

    def start_api(self) -> str:
        return self.start_apis(1)[0]

    def start_apis(self, count: int) -> list[str]:
        """`count` API processes started together (each takes seconds to import the app)."""
        ports = [free_port() for _ in range(count)]
        self.api_processes += [
            self._spawn_api(len(self.api_processes) + n, port) for n, port in enumerate(ports)
        ]
        for port in ports:
            wait_for_port(port, seconds=30 + 15 * count)  # they share the cores while they start
        self.apis += [f"http://127.0.0.1:{port}" for port in ports]
        return self.apis[-count:]

    def respawn(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        """A new process in the place of `process` (killed first if still alive), an API process
        on the same address; returned at once, before it is ready (see `port_of`)."""
        if process.poll() is None:
            process.kill()
        process.wait()
        if process in self.worker_processes:
            slot = self.worker_processes.index(process)
            self.worker_processes[slot] = self._spawn_worker(slot)
            return self.worker_processes[slot]
        slot = self.api_processes.index(process)
        self.api_processes[slot] = self._spawn_api(slot, self.port_of(process) or 0)
        return self.api_processes[slot]

    def port_of(self, process: subprocess.Popen[bytes]) -> int | None:
        """The port an API process listens on; None for a worker."""
        if process not in self.api_processes:
            return None
        return int(self.apis[self.api_processes.index(process)].rsplit(":", 1)[1])

    def check(self) -> str:
        return dingdan_check(self.env())

    def _spawn_worker(self, slot: int) -> subprocess.Popen[bytes]:
        return self._spawn([sys.executable, "-m", "dingdan.cli", "worker"], f"worker-{slot}")

    def _spawn_api(self, slot: int, port: int) -> subprocess.Popen[bytes]:
        return self._spawn([sys.executable, "-m", "dingdan.cli", "serve", "--port", str(port)], f"api-{slot}")

    def _spawn(self, command: list[str], name: str) -> subprocess.Popen[bytes]:
        if self.log_dir is None:  # errors to the terminal; not the API's banner
            return subprocess.Popen(
                command, env=self.env(), stdout=subprocess.DEVNULL if "serve" in command else None
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as log:
            return subprocess.Popen(command, env=self.env(), stdout=log, stderr=log)

    def stop(self) -> None:
        for process in self.api_processes + self.worker_processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
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


def reset_database(url: str) -> str:
    """The caller's own database emptied (its public schema; created when missing) and
    migrated; returns `url`."""
    name = urlsplit(url).path.lstrip("/")
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)
    return url


@contextmanager
def running(
    name: str = "dingdan_cluster",
    apis: int = 2,
    workers: int = 2,
    broker_url: str = BROKER,
    *,
    database_url: str | None = None,
    settings: Mapping[str, str] | None = None,
    log_dir: Path | None = None,
) -> Iterator[Cluster]:
    """A fresh database `name`, or the caller's `database_url` as it is; the broker's queue is
    named after the database, so runs do not mix."""
    url = database_url or fresh_database(name)
    queue = urlsplit(url).path.lstrip("/")
    cluster = Cluster(url, broker_url, broker_queue=queue, settings=settings or {}, log_dir=log_dir)
    try:
        for _ in range(workers):
            cluster.start_worker()
        cluster.start_apis(apis)
        yield cluster
    finally:
        cluster.stop()


def checkpoint_postgres() -> None:
    """Write out what is dirty while PostgreSQL still serves, so that a restart right after
    has little left to write or replay and the outage stays short."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CHECKPOINT"))
    admin.dispose()


def restart_postgres(mode: str = "fast") -> float:
    """Restart the local PostgreSQL server (every database on it: keep it short) and wait
    until it accepts connections again; returns the seconds it took. `mode` is pg_ctl's
    shutdown mode: "fast" rolls back and disconnects every session; "immediate" is a crash,
    followed by recovery from the WAL (and a sync of the whole data directory)."""
    version = sorted(os.listdir("/etc/postgresql"))[0]
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "--mode", mode, version, "main", "restart"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wait_for_postgres()
    return time.monotonic() - started


def wait_for_postgres(seconds: float = 60) -> None:
    engine = create_engine(PG_ADMIN, pool_pre_ping=True)
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


def dingdan_check(env: Mapping[str, str]) -> str:
    """ "ok", or what the `dingdan check` auditor found."""
    check = subprocess.run(
        [sys.executable, "-m", "dingdan.cli", "check"],
        check=False,
        capture_output=True,
        text=True,
        env=dict(env),
    )
    return "ok" if check.returncode == 0 else check.stdout.strip() + check.stderr.strip()[-2000:]


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
