"""Helpers for tests that start Khumkrong processes of their own."""
from __future__ import annotations

import socket
import subprocess
import time

import httpx2 as httpx

# The path that says a server is ready for traffic: /readyz (database reachable, schema at this
# code's head; a worker getting through its passes only where KHUMKRONG_EXPECT_WORKERS says so,
# which the test servers do not). One place to switch it.
READINESS_PATH = "/readyz"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(base: str, process: subprocess.Popen, *, timeout: float = 60.0) -> None:
    """Until ``base`` answers its readiness path with 200; fails if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}{READINESS_PATH}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"the server at {base} exited with {process.returncode}"
        assert time.monotonic() < deadline, f"the server at {base} was not ready within {timeout:.0f} s"
        time.sleep(0.1)
