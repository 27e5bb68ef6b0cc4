"""`dingdan serve` keeps idle connections open long enough that a request sent on one is not
lost when the process stalls for a while (CPU starved on a busy machine, or stopped)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
from ops.cluster import free_port, wait_for_port

UVICORN_DEFAULT_KEEP_ALIVE = 5  # seconds


def test_a_request_sent_while_the_api_process_is_stalled_is_answered_when_it_resumes(tmp_path):
    port = free_port()
    env = {**os.environ, "DINGDAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "dingdan.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, seconds=60)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            assert http.get("/health/live").status_code == 200
            server.send_signal(signal.SIGSTOP)  # right after answering, as a starved process does
            time.sleep(0.2)  # stopped for sure before the next request arrives
            resume = threading.Timer(UVICORN_DEFAULT_KEEP_ALIVE + 1, server.send_signal, [signal.SIGCONT])
            resume.start()
            # on the same kept-alive connection; it waits in the socket until the process runs
            assert http.get("/health/live").status_code == 200
            resume.join()
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=30)
