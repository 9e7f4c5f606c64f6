"""Real servers for the tests that need them (the S3 emulator, and the fault suite's own
PostgreSQL cluster, Redis, gunicorn and queue consumer): each on a spare port, started by a
fixture and stopped by it.

Ports: a free one from TEST_PORT_RANGE ("8400-8499") when it is set (several people share one
machine), otherwise one the operating system hands out.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
_taken: set[int] = set()


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def spare_port() -> int:
    """A port nobody listens on (and this process has not handed out already)."""
    spec = os.environ.get("TEST_PORT_RANGE")
    if spec:
        low, high = (int(part) for part in spec.split("-", 1))
        candidates = list(range(low, high + 1))
        random.shuffle(candidates)
        for port in candidates:
            if port not in _taken and _free(port):
                _taken.add(port)
                return port
        raise RuntimeError(f"no free port in TEST_PORT_RANGE={spec}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    """Poll `check` until it is true; fail naming `what` (and the process's exit) otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stop a process we started (its whole process group), killing it if it lingers."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def start(args: list[str], *, log: Path, env: dict[str, str] | None = None,
          cwd: str | None = None) -> subprocess.Popen:
    """Start a server in its own process group (so `stop` ends its children too)."""
    handle = open(log, "ab")  # noqa: SIM115 - the child keeps it; closed when the test's tmp dir goes
    return subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True)


class MotoServer:
    """moto's S3 emulator in server mode (a real HTTP S3 API) on a spare port."""

    def __init__(self, workdir: Path):
        self.port = spare_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = start([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
                             log=workdir / "moto.log")
        wait_for(lambda: port_open(self.port), 30, "moto_server", self.process)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self) -> None:
        stop(self.process)


def have(program: str) -> bool:
    return shutil.which(program) is not None or Path(program).exists()
