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
from notesmig.errors import TerminalError


class EmulatorStartError(TerminalError):
    """The emulator child did not come up (its log says why)."""


class EmulatorAlreadyRunning(TerminalError):
    """``start()`` on an emulator whose child is running."""


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

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def charged(self, token: str | None = None) -> dict[str, int]:
        """The resource units the emulator charged so far, the requests it throttled and the
        requests it answered (its ``/_emulator-budget``; ``token``: the one it requires)."""
        bearer = f"Bearer {token or 'any'}"
        answer = httpx.get(
            f"{self.url}/_emulator-budget", headers={"Authorization": bearer}, timeout=10
        )
        answer.raise_for_status()
        counted: dict[str, int] = answer.json()
        return counted

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        """Start the child and wait until it answers. Starting a running emulator is an
        error: a second child on the same port would die, and the first would be orphaned."""
        if self.running:
            raise EmulatorAlreadyRunning(f"the emulator on port {self.port} is already running")
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
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir.parent / f"emulator-{self.port}.log"
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise EmulatorStartError(f"the emulator exited with {code}; see {log_path}")
            answering = self._answering_pid()
            if answering == self.process.pid:
                return self
            if answering is not None:
                # Another emulator holds the port: ours dies on it, and any reply would have
                # been taken for ours.
                self.stop()
                raise EmulatorStartError(
                    f"port {self.port} is held by another emulator (pid {answering}); see "
                    f"{log_path}"
                )
            time.sleep(0.05)
        self.stop()
        raise EmulatorStartError(
            f"the emulator did not answer on port {self.port} within {timeout} s; see {log_path}"
        )

    def _answering_pid(self) -> int | None:
        """The pid of the emulator answering on the port, or None while none does (another
        kind of server, or ours still starting or answering with an injected fault)."""
        try:
            answer = httpx.get(
                f"{self.url}/_emulator-budget",
                headers={"Authorization": f"Bearer {self._token() or 'any'}"},
                timeout=1.0,
            )
            pid = answer.json().get("pid") if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return pid if isinstance(pid, int) else None

    def _token(self) -> str | None:
        """The bearer token the child was told to require (``--token``), if any."""
        for index, option in enumerate(self.options):
            if option == "--token" and index + 1 < len(self.options):
                return self.options[index + 1]
            if option.startswith("--token="):
                return option.removeprefix("--token=")
        return None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Stop the child at once (SIGKILL): what it committed stays in its data folder, as
        after a crash; requests it holds (``--freeze-after``) end unanswered."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> EmulatorProcess:
        # ``with EmulatorProcess(...).start() as emulator`` and ``with EmulatorProcess(...)``
        # both mean one child, stopped on exit.
        return self if self.running else self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
