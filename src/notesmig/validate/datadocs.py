"""GX Data Docs that work offline: the files GX's templates load from CDNs are vendored (npm
packages at the versions the templates name, locked in ``vendor/datadocs``) and every page is
rewritten to load them from beside itself.

Staff read these pages on Chromebooks behind a filtering proxy, so a page must not ask any
other host for anything. After rewriting, a page that still loads something from outside is an
error, not a page with a broken look. Subresource-integrity hashes in GX's templates are
checked against the vendored files (so the very files GX expects are the ones vendored) and
then dropped, since a browser refuses ``crossorigin`` loads from ``file://`` pages.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from notesmig.errors import TerminalError

#: Where ``npm ci`` put the vendored packages (``make env`` runs it); NOTESMIG_DATADOCS_ASSETS
#: names another place (an image that installs them elsewhere).
DEFAULT_ASSETS = Path(__file__).resolve().parents[3] / "vendor" / "datadocs" / "node_modules"

#: Each CDN address in GX 1.24's templates, and the vendored file that replaces it.
CDN_FILES: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "@fortawesome/fontawesome-free/css/all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "popper.js/dist/umd/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap/dist/js/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap/dist/css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.0/dist/extensions/filter-control/"
        "bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
}  # fmt: skip
#: Font Awesome's stylesheet loads its fonts from ``../webfonts/``: they go along.
CDN_FOLDERS = ("@fortawesome/fontawesome-free/webfonts",)
#: GX's navbar takes its logo from this bucket; the same image ships in the site's static/.
LOGO_BUCKET = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
VENDOR_DIR = "static/vendor"

_LOADING = re.compile(
    r"<(?:script|link|img|iframe|source|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*"
    r"[\"'](?:https?:)?//",
    re.IGNORECASE,
)
_TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.IGNORECASE)
_INTEGRITY = re.compile(r"\s+integrity=[\"']([^\"']+)[\"']", re.IGNORECASE)
_CROSSORIGIN = re.compile(r"\s+crossorigin(?:=[\"'][^\"']*[\"'])?", re.IGNORECASE)
_ADDRESS = re.compile(r"(?:src|href)=[\"']([^\"']+)[\"']", re.IGNORECASE)


class DataDocsAssetsError(TerminalError):
    """The vendored Data Docs files are missing or not the ones GX expects."""


class ExternalReferenceError(TerminalError):
    """A Data Docs page would still load something from another host (names page and tag)."""


@dataclass(frozen=True)
class VendoredSite:
    pages: int
    files: int


def assets_root() -> Path:
    configured = os.environ.get("NOTESMIG_DATADOCS_ASSETS")
    return Path(configured) if configured else DEFAULT_ASSETS


def vendor_site(site: Path, assets: Path | None = None) -> VendoredSite:
    """Copy the vendored files into ``site`` and rewrite its pages to load them locally."""
    root = assets or assets_root()
    missing = [p for p in (*CDN_FILES.values(), *CDN_FOLDERS) if not (root / p).exists()]
    if missing:
        raise DataDocsAssetsError(
            f"the Data Docs assets are not installed in {root} (missing {missing[0]}): run "
            "`make env` (npm ci in vendor/datadocs), or set NOTESMIG_DATADOCS_ASSETS"
        )
    target = site / VENDOR_DIR
    for relative in CDN_FILES.values():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target / relative)
    for folder in CDN_FOLDERS:
        shutil.copytree(root / folder, target / folder, dirs_exist_ok=True)
    pages = 0
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        rewritten = _rewrite(text, page, site, root)
        problem = _LOADING.search(rewritten)
        if problem is not None:
            line = rewritten.count("\n", 0, problem.start()) + 1
            raise ExternalReferenceError(
                f"{page}:{line}: still loads from another host: {problem.group(0)[:120]}"
            )
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
        pages += 1
    return VendoredSite(pages=pages, files=len(CDN_FILES) + len(CDN_FOLDERS))


def _rewrite(text: str, page: Path, site: Path, root: Path) -> str:
    up = os.path.relpath(site, page.parent).replace(os.sep, "/")

    def local(address: str) -> str | None:
        if address in CDN_FILES:
            return f"{up}/{VENDOR_DIR}/{CDN_FILES[address]}"
        if address.startswith(LOGO_BUCKET):
            name = address[len(LOGO_BUCKET) :].split("?", 1)[0]
            return f"{up}/static/images/{name}"
        return None

    def tag(found: re.Match[str]) -> str:
        element = found.group(0)
        address = _ADDRESS.search(element)
        if address is None:
            return element
        if local(address.group(1)) is None:
            return _repointed(element, address.group(1), page, site, up)
        integrity = _INTEGRITY.search(element)
        if integrity is not None:
            _check_integrity(root / CDN_FILES[address.group(1)], integrity.group(1))
        element = _CROSSORIGIN.sub("", _INTEGRITY.sub("", element))
        return element.replace(address.group(1), str(local(address.group(1))))

    text = _TAG.sub(tag, text)
    # The logo is an <img> whose address carries a query of GX's: replaced wherever it is.
    return re.sub(
        re.escape(LOGO_BUCKET) + r"([\w.-]+)(\?[^\"']*)?",
        lambda m: f"{up}/static/images/{m.group(1)}",
        text,
    )


def _repointed(element: str, address: str, page: Path, site: Path, up: str) -> str:
    """A relative address into the site's ``static/`` that does not resolve from the page (GX
    counts one folder too few for the favicon of validation pages) points at the site's."""
    if "://" in address or address.startswith(("#", "data:", "/")) or "static/" not in address:
        return element
    if (page.parent / address.split("?", 1)[0]).exists():
        return element
    rest = address[address.index("static/") :]
    if not (site / rest.split("?", 1)[0]).exists():
        return element
    return element.replace(address, f"{up}/{rest}")


def _check_integrity(path: Path, expected: str) -> None:
    algorithm, _, digest = expected.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, path.read_bytes()).digest()).decode()
    if actual != digest:
        raise DataDocsAssetsError(
            f"{path}: its {algorithm} is {actual}, GX's template expects {digest}; the vendored "
            "file is not the one GX names"
        )
