"""Running the emulator: in-process for ``notesmig emulator serve``, or as a child process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx
import uvicorn

from notesmig.emulator.app import EmulatorApp
from notesmig.emulator.config import EmulatorConfig


def serve(config: EmulatorConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until interrupted."""
    uvicorn.run(EmulatorApp(config), host=host, port=port, log_level="warning", lifespan="on")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class EmulatorProcess:
    """``notesmig emulator serve`` in a child process, stopped on exit from the ``with``."""

    data_dir: Path
    port: int = 0
    options: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        self.port = self.port or free_port()
        command = [
            sys.executable,
            "-m",
            "notesmig.cli",
            "emulator",
            "serve",
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
            *self.options,
        ]
        log = (self.data_dir.parent / f"emulator-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the emulator exited with {self.process.returncode}; see {log.name}"
                )
            try:
                httpx.get(f"{self.url}/v1.0/sites/root", timeout=1.0)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the emulator did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
