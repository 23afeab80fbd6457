"""The ``notesmig`` command line (messages in Japanese, English beside)."""

from __future__ import annotations


def main() -> None:
    from notesmig.cli.app import run  # noqa: PLC0415 (the console script's entry point)

    run()
