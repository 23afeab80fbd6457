"""nh3 on a second core while the reader goes on: the extract stage's sanitizer.

nh3 releases the GIL while it cleans, so sanitizing a document's HTML in a worker thread
overlaps with parsing the next ones. The reader is handed ``BackgroundSanitizer`` in place of
``sanitize_html``: each call submits the markup and returns a token (NUL-delimited, a
character no XML document can hold, so no real HTML is ever taken for one); ``finish`` puts
every token of a document's HTML back as its sanitized markup, before the document is written.
The output is the same as sanitizing inline: the same function on the same fragments, joined
in the same order.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from notesmig.dxl.model import ExtractionIssue, NotesDocument
from notesmig.dxl.richtext import sanitize_html

_TOKEN = re.compile("\x00([0-9]+)\x00")


class BackgroundSanitizer:
    """Use as the reader's ``sanitize``; ``finish`` each document before it is written."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="nh3")
        self._pending: dict[str, Future[str]] = {}
        self._issued = 0

    def __enter__(self) -> BackgroundSanitizer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()

    def __call__(self, markup: str) -> str:
        # What nh3 would refuse (a lone surrogate from a MIME part in UTF-7, say) is refused
        # here, on the reader's thread, so the reader records it on its item as before.
        markup.encode("utf-8")
        self._issued += 1
        key = str(self._issued)
        self._pending[key] = self._pool.submit(sanitize_html, markup)
        return f"\x00{key}\x00"

    def finish(self, document: NotesDocument) -> NotesDocument:
        """The document with its HTML sanitized (waiting for what is not done yet). A
        fragment the sanitizer failed on is left out, never written unsanitized, and the
        failure is recorded on the document."""
        for name, value in document.html.items():
            if "\x00" in value:

                def resolve(match: re.Match[str], item: str = name) -> str:
                    try:
                        return self._pending.pop(match.group(1)).result()
                    except Exception as exc:
                        document.errors.append(ExtractionIssue("bad-html", str(exc), item))
                        return ""

                document.html[name] = _TOKEN.sub(resolve, value)
        return document
