"""The nemesis: faults on a running cluster on a timetable, each recorded with its time.

- every `kill_every` s an API process or a worker (by turns; which one at random) gets SIGKILL
  and is started again in its place (an API process on the same address); never the last API
  process serving;
- every `pause_every` s (the first after half of that) one worker gets SIGSTOP, and SIGCONT
  `pause_for` s later;
- once, at `postgres_at` s, the local PostgreSQL server is restarted (after a checkpoint, so
  that the outage is short: it stops every database on the server);
- all along, a process that exits by itself is started again, as a supervisor would, and noted.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
import subprocess
from dataclasses import dataclass, field

from ops import cluster as ops_cluster
from ops.workload import History

Process = subprocess.Popen[bytes]
AFTER_RESTART = 10  # seconds the run goes on at least after PostgreSQL is back


@dataclass(frozen=True)
class Timetable:
    kill_every: float = 30
    pause_every: float = 300
    pause_for: float = 20
    postgres_at: float | None = None  # seconds into the run; None: PostgreSQL is left alone
    postgres_mode: str = "fast"  # or "immediate": a crash, recovery from the WAL on start


@dataclass
class Fault:
    at: float  # seconds since the run started
    what: str
    took: float = 0.0


@dataclass
class Nemesis:
    cluster: ops_cluster.Cluster
    history: History
    timetable: Timetable
    faults: list[Fault] = field(default_factory=list)
    postgres_down: tuple[float, float] | None = None  # (restart began, accepting again)
    paused: Process | None = None
    restarting: set[str] = field(default_factory=set)  # the roles ("api 0") being replaced

    async def run(self, seconds: float) -> None:
        """Faults for `seconds`; then every process is running again and none is paused."""
        until = self.history.now() + seconds
        await asyncio.gather(
            self._kills(until), self._pauses(until), self._postgres(until), self._supervise(until)
        )

    async def _kills(self, until: float) -> None:
        """On the beat, whether or not the last victim is back yet; an API process and a worker
        by turns (which one of each, at random), so that even a short run loses both kinds."""
        restarts = []
        next_at = self.history.now() + self.timetable.kill_every
        for beat in itertools.count():
            if not await self._sleep_until(next_at, until):
                break
            next_at += self.timetable.kill_every
            apis, workers = self._killable()
            victims = (apis if beat % 2 == 0 else workers) or apis or workers
            if victims:
                victim = random.choice(victims)
                victim.send_signal(signal.SIGKILL)
                restarts.append(asyncio.create_task(self._restart(victim, "SIGKILL")))
        await asyncio.gather(*restarts)

    def _killable(self) -> tuple[list[Process], list[Process]]:
        """API processes and workers that may die now: not paused, not being restarted, and
        never the last API process serving (the shop would be closed)."""
        alive = [p for p in self._all() if p is not self.paused and self._role(p) not in self.restarting]
        apis = [p for p in alive if p in self.cluster.api_processes]
        return (apis if len(apis) > 1 else []), [p for p in alive if p not in apis]

    async def _pauses(self, until: float) -> None:
        next_at = self.history.now() + self.timetable.pause_every / 2
        while await self._sleep_until(next_at, until):
            next_at += self.timetable.pause_every
            workers = [p for p in self.cluster.worker_processes if self._role(p) not in self.restarting]
            if not workers:
                continue
            worker = random.choice(workers)
            at, role = self.history.now(), self._role(worker)
            self.paused = worker
            worker.send_signal(signal.SIGSTOP)
            await asyncio.sleep(min(self.timetable.pause_for, max(0.0, until - at)))
            worker.send_signal(signal.SIGCONT)
            self.paused = None
            self.faults.append(Fault(at, f"SIGSTOP {role}", self.history.now() - at))

    async def _postgres(self, until: float) -> None:
        at = self.timetable.postgres_at
        if at is None or not await self._sleep_until(self.history.now() + at, until):
            return
        await asyncio.to_thread(ops_cluster.checkpoint_postgres)
        began = self.history.now()
        took = await asyncio.to_thread(ops_cluster.restart_postgres, self.timetable.postgres_mode)
        self.postgres_down = (began, self.history.now())
        self.faults.append(Fault(began, f"PostgreSQL restart ({self.timetable.postgres_mode})", took))
        await asyncio.sleep(AFTER_RESTART)  # the checkpoint may have run late: load the recovery too

    async def _supervise(self, until: float) -> None:
        """Start again what died by itself, as a supervisor would (and note it)."""
        while await self._sleep_until(self.history.now() + 1, until + 1):
            for process in self._all():
                if process.poll() is not None and self._role(process) not in self.restarting:
                    await self._restart(process, f"exited by itself ({process.returncode})")

    async def _restart(self, process: Process, why: str) -> None:
        """`process` replaced by a new one, ready (an API process listening) before this returns."""
        at, role = self.history.now(), self._role(process)
        self.restarting.add(role)
        try:
            for _ in range(5):
                process = self.cluster.respawn(process)
                if await self._ready(process):
                    break
        finally:
            self.restarting.discard(role)
        self.faults.append(Fault(at, f"{why} {role}", self.history.now() - at))

    async def _ready(self, process: Process, seconds: float = 90) -> bool:
        port = self.cluster.port_of(process)
        for _ in range(int(seconds * 10)):
            if process.poll() is not None:
                return False
            if port is None:
                return True
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return True
        return False

    async def _sleep_until(self, moment: float, until: float) -> bool:
        """Sleeps until `moment`; False (at once) when `moment` is past the end of the run."""
        if moment >= until:
            await asyncio.sleep(max(0.0, until - self.history.now()))
            return False
        await asyncio.sleep(max(0.0, moment - self.history.now()))
        return True

    def _all(self) -> list[Process]:
        return self.cluster.api_processes + self.cluster.worker_processes

    def _role(self, process: Process) -> str:
        if process in self.cluster.api_processes:
            return f"api {self.cluster.api_processes.index(process)}"
        return f"worker {self.cluster.worker_processes.index(process)}"
