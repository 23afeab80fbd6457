"""Helpers for end-to-end migrations into the emulator: mappings, emulators, read-back through
Graph, and the check that every document landed exactly once."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import httpx

from notesmig.emulator.server import EmulatorProcess
from notesmig.mapping.suggest import suggest
from notesmig.pipeline import MigrationSummary, StageSettings
from notesmig.pipeline import migrate as run_pipeline
from notesmig.sample.corpus import SampleFile
from notesmig.sharepoint.client import GraphEndpoint
from notesmig.spfacts.quickxor import quickxorhash

SITE = "/sites/contoso.sharepoint.com:/sites/notes-migration:"


def migrate(paths: list[Path], mappings: Path, work: Path, *, graph_url: str, db_url: str,
            ru_per_minute: int = 0) -> MigrationSummary:  # fmt: skip
    settings = StageSettings(work=work, mappings=mappings, ledger_url=db_url,
                             graph=GraphEndpoint(graph_url), ru_per_minute=ru_per_minute)  # fmt: skip
    return run_pipeline(paths, settings)


def transformed_files(work: Path, name: str) -> list[Path]:
    return sorted(work.glob(f"*/transformed/{name}"))


#: The sample's restricted applications: loaded with unique permissions, as in make demo.
RESTRICTED = ("shutcho", "genmen")


def mappings_for(
    sample_corpus: list[SampleFile], folder: Path, restricted: tuple[str, ...] = RESTRICTED
) -> Path:
    """The drafted mappings with the sample's user and group mappings, as make demo uses them."""
    folder.mkdir(parents=True, exist_ok=True)
    source = sample_corpus[0].path.parent
    for name in ("users.csv", "groups.csv"):
        (folder / name).write_bytes((source / name).read_bytes())
    for sample in sample_corpus:
        text = suggest(sample.path).yaml.replace("  # file: users.csv", "  file: users.csv  #")
        text = text.replace("  # groups: groups.csv", "  groups: groups.csv  #")
        if sample.path.stem in restricted:
            text = text.replace("readers: hold", "readers: restrict")
        (folder / f"{sample.path.stem}.yaml").write_text(text, encoding="utf-8")
    return folder


def emulator_for(tmp_path: Path, sample_corpus: list[SampleFile], *options: str) -> EmulatorProcess:
    source = sample_corpus[0].path.parent
    return EmulatorProcess(
        tmp_path / "emulator",
        options=("--users", str(source / "users.csv"), "--groups", str(source / "entra-groups.csv"),
                 *options),
    ).start()  # fmt: skip


class Reader:
    """GETs that ride out the emulator's injected faults, as any client must."""

    def __init__(self, graph_url: str) -> None:
        self.http = httpx.Client(
            base_url=graph_url, headers={"Authorization": "Bearer check"}, timeout=60
        )

    def get(self, path: str, params: dict[str, str] | None = None) -> Answer:
        for _ in range(60):
            try:
                response = self.http.get(path, params=params)
            except httpx.TransportError:
                continue
            if response.status_code < 500 and response.status_code != 429:
                return Answer(response.json())
            time.sleep(0.05)
        raise AssertionError(f"GET {path} kept failing")


def pages(client: Reader, path: str, params: dict[str, str] | None = None) -> list[dict]:  # type: ignore[type-arg]
    """Every entry of a collection, following @odata.nextLink."""
    entries: list[dict] = []  # type: ignore[type-arg]
    body = client.get(path, params).json()
    entries.extend(body["value"])
    while "@odata.nextLink" in body:
        body = client.get(body["@odata.nextLink"]).json()
        entries.extend(body["value"])
    return entries


class Answer:
    def __init__(self, body: dict) -> None:  # type: ignore[type-arg]
        self.body = body

    def json(self) -> dict:  # type: ignore[type-arg]
        return self.body


def read_back(graph_url: str) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:  # type: ignore[type-arg]
    """Every list's items (fields; folders left out) and every library's files (in any folder),
    read through Graph as the app."""
    client = Reader(graph_url)
    site = client.get(SITE).json()["id"]
    items: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    files: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for entry in pages(client, f"/sites/{site}/lists"):
        if entry["list"]["hidden"] or entry["displayName"] == "Documents":
            continue
        if entry["list"]["template"] == "genericList":
            found_items = pages(
                client, f"/sites/{site}/lists/{entry['id']}/items",
                {"$expand": "fields", "$top": "5000"},
            )  # fmt: skip
            items[entry["displayName"]] = [
                i["fields"] for i in found_items if i["fields"].get("ContentType") != "Folder"
            ]
        else:
            drive = client.get(f"/sites/{site}/lists/{entry['id']}/drive").json()["id"]
            found: list[dict] = []  # type: ignore[type-arg]
            folders = [
                child["id"]
                for child in client.get(f"/drives/{drive}/root/children").json()["value"]
            ]
            while folders:
                folder = folders.pop()
                for child in client.get(f"/drives/{drive}/items/{folder}/children").json()["value"]:
                    if "folder" in child:
                        folders.append(child["id"])
                        continue
                    found.append(client.get(f"/drives/{drive}/items/{child['id']}",
                                            params={"$expand": "listItem"}).json())  # fmt: skip
            files[entry["displayName"]] = found
    return items, files


def expected(work: Path) -> tuple[dict[str, dict], list[dict], set[str]]:  # type: ignore[type-arg]
    rows = {}
    for path in transformed_files(work, "items/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows[row["unid"]] = row
    files = [
        json.loads(line)
        for path in transformed_files(work, "files.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    held = {
        json.loads(line)["unid"]
        for path in transformed_files(work, "quarantine.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    return {u: r for u, r in rows.items() if u not in held}, files, held


def assert_exactly_once(graph_url: str, work: Path) -> None:
    rows, files, held = expected(work)
    items, libraries = read_back(graph_url)
    loaded = Counter(fields["NotesUNID"] for entries in items.values() for fields in entries)
    missing = sorted(set(rows) - set(loaded))
    unknown = sorted(set(loaded) - set(rows))
    twice = sorted(unid for unid, count in loaded.items() if count > 1)
    assert (missing, unknown, twice) == ([], [], []), (missing, unknown, twice)  # once each
    assert not set(loaded) & held  # restricted documents held back, not loaded openly
    for title, entries in items.items():
        for fields in entries:
            row = rows[fields["NotesUNID"]]
            assert row["list"] == title
            assert fields["SourceSha256"] == row["fields"]["SourceSha256"]
            parent = fields.get("NotesParentUNID")
            assert parent is None or parent in loaded  # every response has its parent
    stored = Counter(
        (f["listItem"]["fields"]["NotesUNID"], f["name"])
        for entries in libraries.values()
        for f in entries
    )
    wanted = [f for f in files if f["unid"] in loaded]
    assert set(stored) == {(f["unid"], f["name"]) for f in wanted} and set(stored.values()) == {1}
    by_key = {
        (f["listItem"]["fields"]["NotesUNID"], f["name"]): f
        for entries in libraries.values()
        for f in entries
    }
    for file in wanted:
        blobs = work / file["database"] / "extract" / "blobs"
        data = (blobs / file["blob"]).read_bytes() if file["blob"] else file["content"].encode()
        remote = by_key[(file["unid"], file["name"])]
        assert remote["size"] == len(data) and remote["file"]["hashes"][
            "quickXorHash"
        ] == quickxorhash(data)
        assert remote["listItem"]["fields"]["NotesOriginalName"] == file["original_name"]
