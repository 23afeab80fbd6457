"""Real Chromium for the tests that look at pages: Debian's chromium and fonts-noto-cjk,
installed by the tests' own set-up when missing (as root, with apt-get), driven by Playwright
(its own browser download is not reachable here)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PACKAGES = ("chromium", "fonts-noto-cjk")
#: Flags that keep Chromium from reaching out on its own (updates, sync, field trials).
QUIET = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-default-apps", "--disable-extensions"]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artifacts"


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True, check=False)
    return "Noto Sans CJK" in listed.stdout


def ensure_browser() -> Path:
    """Chromium and the Japanese fonts, installed if missing; skips (saying why) when they
    cannot be."""
    if CHROMIUM.is_file() and _has_cjk_font():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{' and '.join(PACKAGES)} are missing and can only be installed as root "
                    "with apt-get (apt-get install -y chromium fonts-noto-cjk)")  # fmt: skip
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not CHROMIUM.is_file():
        pytest.fail(f"installing {' '.join(PACKAGES)} failed: {done.stderr[-1500:]}")
    return CHROMIUM


@contextmanager
def browser_page(requests: list[str]) -> Iterator[Any]:
    """A page in headless Chromium that records every request it makes."""
    from playwright.sync_api import sync_playwright

    executable = ensure_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=QUIET)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
            page.on("request", lambda request: requests.append(request.url))
            yield page
        finally:
            browser.close()
