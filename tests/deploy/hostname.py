"""``[core] hostname_callable`` for the scale-out test: two Celery workers on one machine, each
recording its own name on the task instances it runs."""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    return os.environ.get("NOTESMIG_TEST_HOSTNAME") or socket.getfqdn()
