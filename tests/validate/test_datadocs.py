"""GX Data Docs made to work offline: the CDN files GX's templates name are copied beside the
pages and the pages rewritten to load them from there; integrity hashes are checked against the
copies; a page that still loads anything from another host is an error naming it."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from pathlib import Path

import pytest

from notesmig.validate.datadocs import (
    CDN_FILES,
    CDN_FOLDERS,
    LOGO_BUCKET,
    VENDOR_DIR,
    DataDocsAssetsError,
    ExternalReferenceError,
    assets_root,
    vendor_site,
)

JQUERY = "https://code.jquery.com/jquery-3.7.1.min.js"
BOOTSTRAP_CSS = "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"


def assets(root: Path) -> Path:
    """Every file the vendoring copies, each with content of its own."""
    for relative in CDN_FILES.values():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(f"/* {relative} */\n", encoding="utf-8")
    for folder in CDN_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "fa-solid-900.woff2").write_bytes(b"wOF2")
    return root


def integrity(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def site(root: Path, page: str, relative: str = "validations/suite/run/index.html") -> Path:
    (root / "static" / "images").mkdir(parents=True, exist_ok=True)
    (root / "static" / "images" / "favicon.ico").write_bytes(b"ico")
    (root / "static" / "images" / "logo.png").write_bytes(b"png")
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_text(page, encoding="utf-8")
    return root / relative


def test_pages_load_the_vendored_copies_from_beside_themselves(tmp_path: Path) -> None:
    root = assets(tmp_path / "assets")
    jquery = integrity(root / CDN_FILES[JQUERY])
    page = site(tmp_path / "site", (
        f'<script src="{JQUERY}" integrity="{jquery}" crossorigin="anonymous"></script>\n'
        f'<link rel="stylesheet" href="{BOOTSTRAP_CSS}" crossorigin>\n'
        f'<img src="{LOGO_BUCKET}logo.png?d=20240101" alt="GX">\n'
        # GX counts one folder too few for the favicon of a validation page.
        '<link rel="icon" href="../../static/images/favicon.ico">\n'
    ))  # fmt: skip
    done = vendor_site(tmp_path / "site", root)
    text = page.read_text(encoding="utf-8")
    assert text == (
        '<script src="../../../static/vendor/jquery/dist/jquery.min.js"></script>\n'
        '<link rel="stylesheet" '
        'href="../../../static/vendor/bootstrap/dist/css/bootstrap.min.css">\n'
        '<img src="../../../static/images/logo.png" alt="GX">\n'
        '<link rel="icon" href="../../../static/images/favicon.ico">\n'
    )
    # Every address now resolves from the page, to the very bytes vendored.
    vendored = tmp_path / "site" / VENDOR_DIR
    assert (vendored / CDN_FILES[JQUERY]).read_bytes() == (root / CDN_FILES[JQUERY]).read_bytes()
    assert (page.parent / "../../../static/images/favicon.ico").resolve().is_file()
    assert (vendored / CDN_FOLDERS[0] / "fa-solid-900.woff2").is_file()
    assert (done.pages, done.files) == (1, len(CDN_FILES) + len(CDN_FOLDERS))


def test_the_index_at_the_sites_root_points_into_it(tmp_path: Path) -> None:
    root = assets(tmp_path / "assets")
    index = site(tmp_path / "site", f'<script src="{JQUERY}"></script>', "index.html")
    vendor_site(tmp_path / "site", root)
    assert index.read_text(encoding="utf-8") == (
        '<script src="./static/vendor/jquery/dist/jquery.min.js"></script>'
    )


def test_a_page_still_loading_from_another_host_is_an_error_naming_the_place(
    tmp_path: Path,
) -> None:
    root = assets(tmp_path / "assets")
    page = site(tmp_path / "site", f'<script src="{JQUERY}"></script>\n'
                '<p>text</p>\n<img src="//tracker.example/p.gif">\n')  # fmt: skip
    with pytest.raises(ExternalReferenceError) as raised:
        vendor_site(tmp_path / "site", root)
    assert str(raised.value).startswith(f"{page}:3: still loads from another host: <img src=")


def test_a_vendored_file_that_is_not_the_one_gx_names_is_refused(tmp_path: Path) -> None:
    root = assets(tmp_path / "assets")
    expected = integrity(root / CDN_FILES[JQUERY])
    (root / CDN_FILES[JQUERY]).write_text("/* another version */", encoding="utf-8")
    site(tmp_path / "site", f'<script src="{JQUERY}" integrity="{expected}"></script>')
    with pytest.raises(DataDocsAssetsError, match="the vendored file is not the one GX names"):
        vendor_site(tmp_path / "site", root)


def test_missing_assets_say_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site(tmp_path / "site", "<p>x</p>")
    with pytest.raises(DataDocsAssetsError, match=r"run `make env` \(npm ci in vendor/datadocs\)"):
        vendor_site(tmp_path / "site", tmp_path / "nothing")
    monkeypatch.setenv("NOTESMIG_DATADOCS_ASSETS", str(tmp_path / "elsewhere"))
    assert assets_root() == tmp_path / "elsewhere"


def test_gxs_own_script_imports_load_from_the_installed_assets(tmp_path: Path) -> None:
    root = assets_root()
    if not (root / CDN_FILES[JQUERY]).is_file():
        pytest.skip(f"the Data Docs assets are not installed in {root} (make env)")
    spec = importlib.util.find_spec("great_expectations")  # found, not imported: GX is slow
    assert spec is not None and spec.origin is not None
    template = Path(spec.origin).parent / "render/view/templates/js_script_imports.j2"
    page = site(tmp_path / "site", template.read_text(encoding="utf-8"), "index.html")
    # The integrity hashes GX's template gives match the installed copies.
    vendor_site(tmp_path / "site")
    text = page.read_text(encoding="utf-8")
    assert "https://" not in text and "integrity" not in text
    assert text.count('src="./static/vendor/') == 9
