"""Notes access carried into SharePoint, fail-closed, checked as the people themselves see it:
readers see their documents and files, outsiders see nothing in any read, roles are groups,
the ACL is the lists' own permissions, and Created/Modified/Author/Editor are the Notes ones."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from notesmig.emulator.server import EmulatorProcess
from notesmig.ledger import Ledger
from notesmig.mapping.users import abbreviate
from notesmig.records import FileRow, ItemRow, PermissionPlan, read_records
from notesmig.sample.corpus import SampleFile
from notesmig.sample.dxlbuild import stable_hex, text_item
from tests.dxlfiles import database, document
from tests.migration import (
    SITE,
    assert_exactly_once,
    emulator_for,
    mappings_for,
    migrate,
    read_back,
    transformed_files,
)


class Person:
    """Graph and REST reads as one signed-in person (a delegated token)."""

    def __init__(self, emulator_url: str, upn: str) -> None:
        headers = {"Authorization": f"Bearer user:{upn}"}
        self.graph = httpx.Client(base_url=f"{emulator_url}/v1.0", headers=headers, timeout=30)
        self.rest = httpx.Client(base_url=emulator_url, timeout=30,
                                 headers={**headers, "Accept": "application/json;odata=nometadata"})  # fmt: skip
        self.upn = upn

    def items(self, site: str, list_id: str) -> dict[str, dict[str, Any]]:
        found = self.graph.get(
            f"/sites/{site}/lists/{list_id}/items", params={"$expand": "fields", "$top": "5000"}
        )
        if found.status_code == 404:
            return {}  # the person may not even read the list
        assert found.status_code == 200, found.text
        return {i["fields"].get("NotesUNID"): i for i in found.json()["value"]}

    def delta(self, site: str, list_id: str) -> set[str]:
        answer = self.graph.get(f"/sites/{site}/lists/{list_id}/items/delta")
        if answer.status_code == 404:
            return set()
        return {i["fields"].get("NotesUNID") for i in answer.json()["value"] if "fields" in i}


def plans(work: Path) -> dict[str, PermissionPlan]:
    return {p.unid: p for path in transformed_files(work, "permissions.jsonl")
            for p in read_records(path, PermissionPlan)}  # fmt: skip


def rows(work: Path) -> dict[str, ItemRow]:
    return {r.unid: r for path in transformed_files(work, "items/*.jsonl")
            for r in read_records(path, ItemRow)}  # fmt: skip


def directory(sample: Path) -> list[str]:
    return [
        line.split(",")[1]
        for line in (sample / "users.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]


def members(sample: Path, role_group: str, work: Path) -> set[str]:
    for path in transformed_files(work, "access.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for group in json.loads(line)["site_groups"]:
                if group["title"] == role_group:
                    return {m["name"] for m in group["members"]}
    raise AssertionError(role_group)


def readers_of(plan: PermissionPlan, sample: Path, work: Path) -> set[str]:
    found: set[str] = set()
    for grant in plan.grants:
        if grant.principal.kind == "user":
            found.add(grant.principal.name)
        elif grant.principal.kind == "sitegroup":
            found |= members(sample, grant.principal.name, work)
    return found


@pytest.fixture(scope="module")
def migrated(sample_corpus: list[SampleFile], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("permissions")
    mappings = mappings_for(sample_corpus, root / "mappings")
    emulator = emulator_for(root, sample_corpus, "--ru-per-minute", "0")
    try:
        result = migrate([sample_corpus[0].path.parent], mappings, root / "work",
                         graph_url=emulator.graph_url, db_url=f"sqlite:///{root / 'ledger.sqlite3'}")  # fmt: skip
        yield emulator, root, result
    finally:
        emulator.stop()


def test_readers_see_their_restricted_documents_and_outsiders_see_nothing(
    migrated: Any, sample_corpus: list[SampleFile]
) -> None:
    emulator, root, result = migrated
    sample = sample_corpus[0].path.parent
    work = root / "work"
    planned, all_rows = plans(work), rows(work)
    assert len(planned) == 18 and result.load.items_quarantined == 0
    app = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer app"})
    site = app.get(SITE).json()["id"]
    lists = {e["displayName"]: e for e in pages_of(app, f"/sites/{site}/lists")}
    _, files = read_back(emulator.graph_url)
    file_of: dict[str, list[dict[str, Any]]] = {}
    for entries in files.values():
        for f in entries:
            file_of.setdefault(f["listItem"]["fields"]["NotesUNID"], []).append(f)
    staff = directory(sample)
    seen_by_reviewers = 0
    for unid, plan in planned.items():
        row = all_rows[unid]
        target = lists[row.list]
        readers = readers_of(plan, sample, work)
        outsiders = [u for u in staff if u not in readers]
        assert readers and outsiders
        reader, outsider = (
            Person(emulator.url, sorted(readers)[0]),
            Person(emulator.url, outsiders[0]),
        )
        # The reader sees the item, in the list view, by id, in delta, and its files.
        assert unid in reader.items(site, target["id"])
        item_id = reader.items(site, target["id"])[unid]["id"]
        assert (
            reader.graph.get(f"/sites/{site}/lists/{target['id']}/items/{item_id}").status_code
            == 200
        )
        assert unid in reader.delta(site, target["id"])
        for f in file_of.get(unid, []):
            drive = f["parentReference"]["driveId"]
            assert reader.graph.get(f"/drives/{drive}/items/{f['id']}/content").status_code == 200
        # An outsider (a member of staff who may read the list) sees none of it, anywhere.
        assert unid not in outsider.items(site, target["id"])
        assert (
            outsider.graph.get(f"/sites/{site}/lists/{target['id']}/items/{item_id}").status_code
            == 404
        )
        assert (
            outsider.graph.get(
                f"/sites/{site}/lists/{target['id']}/items/{item_id}/fields"
            ).status_code
            == 404
        )
        assert unid not in outsider.delta(site, target["id"])
        for f in file_of.get(unid, []):
            drive = f["parentReference"]["driveId"]
            assert outsider.graph.get(f"/drives/{drive}/items/{f['id']}").status_code == 404
            assert outsider.graph.get(f"/drives/{drive}/items/{f['id']}/content").status_code == 404
            root_children = outsider.graph.get(f"/drives/{drive}/root/children").json()["value"]
            assert plan.audience not in {c["name"] for c in root_children}
        folder = f"/sites/notes-migration/Lists/{row.list}/{plan.audience}"
        assert outsider.rest.get(f"/sites/notes-migration/_api/web/GetFolderByServerRelativePath"
                                 f"(decodedurl='{folder}')/ListItemAllFields").status_code == 404  # fmt: skip
        # The migration's own account is no reader either: nobody gained access.
        admin = Person(emulator.url, "admin@contoso.onmicrosoft.com")
        assert unid not in admin.items(site, target["id"])
        if any(g.principal.name.endswith("[Reviewer]") for g in plan.grants):
            reviewer = sorted(
                members(sample, "火災ごみ減免申請 [Reviewer]", work)
                - {"notes-admin@contoso.onmicrosoft.com"}
            )[0]
            assert unid in Person(emulator.url, reviewer).items(site, target["id"])
            seen_by_reviewers += 1
    assert seen_by_reviewers == 10  # every fee reduction application: the role grants it


def pages_of(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    body = client.get(path).json()
    found = list(body["value"])
    while "@odata.nextLink" in body:
        body = client.get(body["@odata.nextLink"]).json()
        found.extend(body["value"])
    return found


def test_the_acl_is_the_lists_permissions_and_roles_are_site_groups(migrated: Any) -> None:
    emulator, root, _ = migrated
    app = httpx.Client(base_url=emulator.url, headers={"Authorization": "Bearer app",
                                                      "Accept": "application/json;odata=nometadata"})  # fmt: skip
    groups = {
        g["Title"]: g for g in app.get("/sites/notes-migration/_api/web/sitegroups").json()["value"]
    }
    assert {"出張申請 [Approver]", "出張申請 [Admin]", "火災ごみ減免申請 [Reviewer]", "掲示板 [Moderator]",
            "文書ライブラリ [Editor]"} <= set(groups)  # fmt: skip
    approvers = app.get(
        f"/sites/notes-migration/_api/web/sitegroups({groups['出張申請 [Approver]']['Id']})/users"
    ).json()["value"]
    assert len(approvers) == 3  # the Notes admin and the two managers holding the role
    graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer app"})
    site = graph.get(SITE).json()["id"]
    board = next(e for e in pages_of(graph, f"/sites/{site}/lists") if e["displayName"] == "掲示板")
    assignments = app.get(f"/sites/notes-migration/_api/web/lists(guid'{board['id']}')/roleassignments",
                          params={"$expand": "Member,RoleDefinitionBindings"}).json()["value"]  # fmt: skip
    roles = {
        a["Member"]["LoginName"]: {b["Name"] for b in a["RoleDefinitionBindings"]}
        for a in assignments
    }
    assert roles == {
        "c:0t.c|tenant|all-staff@contoso.onmicrosoft.com": {
            "Contribute"
        },  # Maebashi_全職員: Author
        "i:0#.f|membership|notes-admin@contoso.onmicrosoft.com": {"Full Control"},  # Manager
        "i:0#.f|membership|user00@contoso.onmicrosoft.com": {"Edit"},
        "i:0#.f|membership|user01@contoso.onmicrosoft.com": {"Edit"},
    }  # -Default- is No Access, and the migration account is not in the ACL: not there
    # Notes Authors edit only their own documents: so do Contribute members on the lists...
    board_rest = f"/sites/notes-migration/_api/web/lists(guid'{board['id']}')"
    assert app.get(board_rest).json()["WriteSecurity"] == 2
    entries = pages_of(graph, f"/sites/{site}/lists/{board['id']}/items?$expand=fields")
    by_other = next(e for e in entries if e["createdBy"]["user"]["email"] not in
                    {"user00@contoso.onmicrosoft.com", "user01@contoso.onmicrosoft.com",
                     "user02@contoso.onmicrosoft.com", "notes-admin@contoso.onmicrosoft.com"})  # fmt: skip
    colleague = Person(emulator.url, "user02@contoso.onmicrosoft.com")  # all staff: Author
    assert colleague.graph.get(f"/sites/{site}/lists/{board['id']}/items/{by_other['id']}"
                               ).status_code == 200  # fmt: skip
    assert colleague.graph.patch(f"/sites/{site}/lists/{board['id']}/items/{by_other['id']}/fields",
                                 json={"Title": "書き換え"}).status_code == 403  # fmt: skip
    # ... and, a library not being able to limit it so, read in the libraries.
    library = next(e for e in pages_of(graph, f"/sites/{site}/lists")
                   if e["displayName"] == "文書ライブラリ ファイル")  # fmt: skip
    library_roles = {
        a["Member"]["LoginName"]: {b["Name"] for b in a["RoleDefinitionBindings"]}
        for a in app.get(f"/sites/notes-migration/_api/web/lists(guid'{library['id']}')"
                         "/roleassignments", params={"$expand": "Member,RoleDefinitionBindings"}
                         ).json()["value"]
    }  # fmt: skip
    assert library_roles["c:0t.c|tenant|all-staff@contoso.onmicrosoft.com"] == {"Read"}
    stranger = Person(emulator.url, "admin@contoso.onmicrosoft.com")
    assert stranger.graph.get(f"/sites/{site}/lists/{board['id']}/items").status_code == 404
    [status] = [
        s
        for s in Ledger(f"sqlite:///{root / 'ledger.sqlite3'}").status()
        if s.title == "火災ごみ減免申請"
    ]
    assert status.restricted_loaded == 10 and status.unique_scopes >= 3
    access = Ledger(f"sqlite:///{root / 'ledger.sqlite3'}").access_view(status.replica_id)
    assert {state for _audience, state in access.values()} == {"verified"}  # planned, applied,
    # then verified once its content stands in the scope read back as planned


def test_created_modified_author_and_editor_are_the_notes_ones(migrated: Any) -> None:
    emulator, root, _ = migrated
    all_rows = rows(root / "work")
    items, files = read_back(emulator.graph_url)
    graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer app"})
    site = graph.get(SITE).json()["id"]
    lists = {e["displayName"]: e["id"] for e in pages_of(graph, f"/sites/{site}/lists")}
    checked = 0
    for title, entries in items.items():
        for fields in entries:
            row = all_rows[fields["NotesUNID"]]
            assert row.authorship is not None
            item = graph.get(f"/sites/{site}/lists/{lists[title]}/items/{fields['id']}").json()
            assert item["createdDateTime"] == row.authorship.created  # to the second, in UTC
            assert item["lastModifiedDateTime"] == row.authorship.modified
            if row.authorship.author:
                assert item["createdBy"]["user"]["email"] == row.authorship.author
                assert item["lastModifiedBy"]["user"]["email"] == row.authorship.editor
                checked += 1
    assert checked >= 60
    # Each file's list item: its attachment's own dates, its document's people.
    file_rows = {(f.unid, f.name): f for path in transformed_files(root / "work", "files.jsonl")
                 for f in read_records(path, FileRow)}  # fmt: skip
    checked_files = 0
    for entries in files.values():
        for f in entries:
            source = file_rows[(f["listItem"]["fields"]["NotesUNID"], f["name"])].authorship
            assert source is not None
            assert f["listItem"]["createdDateTime"] == source.created
            assert f["listItem"]["lastModifiedDateTime"] == source.modified
            if source.author:
                assert f["listItem"]["createdBy"]["user"]["email"] == source.author
                assert f["listItem"]["lastModifiedBy"]["user"]["email"] == source.editor
                checked_files += 1
    assert checked_files >= 10


#: Each step of applying a restricted document, by the path of its write: the site group and
#: its members, the audience folder, its inheritance broken and its grants, the item created in
#: it, its content ($batch), its authorship, the library's folder and the file's upload.
KILL_POINTS = ("sitegroups", "AddValidateUpdateItemUsingPath", "breakroleinheritance",
               "addroleassignment", "$batch", "ValidateUpdateListItem", "root/children",
               ":/content")  # fmt: skip


def end_state(emulator_url: str) -> dict[str, Any]:
    """Everything about the fee reductions' permissions that a kill could leave wrong, by
    names (never ids): where each document and file stands, each folder's grants, the site
    groups and their members."""
    rest = httpx.Client(base_url=f"{emulator_url}/sites/notes-migration/_api/web", timeout=30,
                        headers={"Authorization": "Bearer app",
                                 "Accept": "application/json;odata=nometadata"})  # fmt: skip
    graph = httpx.Client(base_url=f"{emulator_url}/v1.0", headers={"Authorization": "Bearer app"})
    site = graph.get(SITE).json()["id"]
    state: dict[str, Any] = {}
    for entry in pages_of(graph, f"/sites/{site}/lists"):
        if not entry["displayName"].startswith("火災ごみ減免申請"):
            continue
        items = pages_of(graph, f"/sites/{site}/lists/{entry['id']}/items?$expand=fields")
        placed, scopes = [], {}
        for item in items:
            found = rest.get(f"/lists(guid'{entry['id']}')/items({item['id']})").json()
            where = found["FileDirRef"].rsplit("/", 1)[-1]
            name = item["fields"].get("NotesUNID") or item["fields"].get("FileLeafRef")
            placed.append((where, name, item["fields"].get("ContentType") == "Folder"))
            if found["HasUniqueRoleAssignments"]:
                assignments = rest.get(
                    f"/lists(guid'{entry['id']}')/items({item['id']})/roleassignments",
                    params={"$expand": "Member,RoleDefinitionBindings"},
                ).json()["value"]
                scopes[item["fields"].get("Title") or name] = sorted(
                    (a["Member"]["LoginName"] or a["Member"]["Title"], b["Name"])
                    for a in assignments for b in a["RoleDefinitionBindings"]
                )  # fmt: skip
        state[entry["displayName"]] = {"placed": sorted(map(str, placed)), "scopes": scopes}
    groups = rest.get("/sitegroups").json()["value"]
    state["groups"] = {
        g["Title"]: sorted(u["LoginName"] for u in rest.get(f"/sitegroups({g['Id']})/users")
                           .json()["value"])
        for g in groups
    }  # fmt: skip
    return state


def run_fee_reductions(emulator_url: str, sample_corpus: list[SampleFile], root: Path,
                       *, wait: bool = True) -> subprocess.Popen[bytes]:  # fmt: skip
    mappings = mappings_for(sample_corpus, root / "mappings", restricted=("genmen",))
    command = [str(Path(sys.executable).with_name("notesmig")), "migrate",
               str(sample_corpus[0].path.parent / "genmen.dxl"), "--mapping", str(mappings),
               "--graph-url", f"{emulator_url}/v1.0", "--db-url",
               f"sqlite:///{root / 'ledger.sqlite3'}", "--work", str(root / "work"),
               "--ru-per-minute", "0"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if wait:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
    return process


@pytest.fixture(scope="module")
def uninterrupted(sample_corpus: list[SampleFile], tmp_path_factory: pytest.TempPathFactory
                  ) -> dict[str, Any]:  # fmt: skip
    root = tmp_path_factory.mktemp("uninterrupted")
    with emulator_for(root, sample_corpus, "--ru-per-minute", "0") as emulator:
        run_fee_reductions(emulator.url, sample_corpus, root)
        return end_state(emulator.url)


@pytest.mark.parametrize("step", KILL_POINTS)
def test_a_kill_at_any_step_never_leaves_a_restricted_document_readable(
    sample_corpus: list[SampleFile], tmp_path: Path, step: str, uninterrupted: dict[str, Any]
) -> None:
    sample = sample_corpus[0].path.parent
    frozen = emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0", "--freeze-after", step)
    try:
        process = run_fee_reductions(frozen.url, sample_corpus, tmp_path, wait=False)
        deadline = time.monotonic() + 120
        while not frozen.charged().get("frozen"):
            assert process.poll() is None, f"the load ended before any {step} write"
            assert time.monotonic() < deadline, f"no {step} write in 120 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # killed right after that write was answered
        process.wait()
        restricted = plans(tmp_path / "work")
        graph = httpx.Client(base_url=frozen.graph_url, headers={"Authorization": "Bearer user:"
                             "notes-admin@contoso.onmicrosoft.com"})  # fmt: skip
        site = graph.get(SITE).json()["id"]
        for name in directory(sample)[:8]:
            person = Person(frozen.url, name)
            lists = {e["displayName"]: e["id"] for e in pages_of(person.graph, f"/sites/{site}/lists")
                     if e["displayName"].startswith("火災ごみ減免申請")}  # fmt: skip
            seen = {unid for list_id in lists.values()
                    for unid in {*person.items(site, list_id), *person.delta(site, list_id)}}  # fmt: skip
            for unid, plan in restricted.items():
                if name not in readers_of(plan, sample, tmp_path / "work"):
                    # At this kill point nobody outside its readers sees it or its files.
                    assert unid not in seen, (step, name, unid)
    finally:
        frozen.kill()  # its held requests never finish: a graceful stop would wait for them
    with EmulatorProcess(frozen.data_dir, port=frozen.port, options=frozen.options[:-2]) as again:
        run_fee_reductions(again.url, sample_corpus, tmp_path)
        # The same end as a run never interrupted: no scope, folder or group twice or missing.
        assert end_state(again.url) == uninterrupted


@pytest.mark.parametrize(
    "lost",
    ["web/sitegroups", "AddValidateUpdateItemUsingPath", "addroleassignment"],
)  # fmt: skip
def test_a_permission_write_whose_answer_is_lost_is_found_not_refused(
    sample_corpus: list[SampleFile], tmp_path: Path, lost: str
) -> None:
    # The write is done, its answer lost; the retry meets what the first attempt made
    # ("The specified name is already in use"), which is the thing wanted, not a refusal.
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0",
                      "--lose-answer-to", lost) as emulator:  # fmt: skip
        migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work",
                graph_url=emulator.graph_url, db_url=ledger_url)  # fmt: skip
        assert_exactly_once(emulator.graph_url, tmp_path / "work")
    refused = [
        (q["unid"], q["detail"]) for q in Ledger(ledger_url).quarantined() if q["stage"] == "load"
    ]
    assert refused == []


class _Reader:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        return self.client.get(path, params=params)


def test_access_that_cannot_be_carried_holds_the_document_back(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    names = {
        "role": ("[Auditor]", "a role the database's ACL does not define"),
        "group": ("Maebashi_監査委員会", "a reader has no account"),
        "person": ("CN=退職者 太郎/O=Maebashi", "a reader has no account"),
    }
    notes = [document("Memo", stable_hex("denied", key), text_item("Subject", key),
                      text_item("DocReaders", [name, "CN=斎藤 一郎/OU=情報政策課/O=Maebashi"], readers=True))
             for key, (name, _why) in names.items()]  # fmt: skip
    notes.append(document("Memo", stable_hex("open"), text_item("Subject", "公開")))
    replica = database(drop / "memo.dxl", "メモ", *notes)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for name in ("users.csv", "groups.csv"):
        (mappings / name).write_bytes((sample_corpus[0].path.parent / name).read_bytes())
    (mappings / "memo.yaml").write_text(
        f'version: 1\ndatabase: {{replica_id: "{replica}"}}\n'
        'target: {site: "contoso.sharepoint.com:/sites/notes-migration"}\n'
        "users: {file: users.csv, groups: groups.csv}\nreaders: restrict\n"
        'forms: {Memo: {list: "メモ", items: {Subject: {column: Title, type: text}}}}\n',
        encoding="utf-8",
    )
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        result = migrate(
            [drop], mappings, tmp_path / "work", graph_url=emulator.graph_url, db_url=ledger_url
        )
        items, _ = read_back(emulator.graph_url)
    assert [f["Title"] for f in items["メモ"]] == ["公開"]  # the others are never loaded
    held = {q["unid"]: q for q in Ledger(ledger_url).quarantined(replica)}
    for key, (name, why) in names.items():
        entry = held[stable_hex("denied", key)]
        assert why in entry["reason"] and abbreviate(name) in entry["detail"]
    assert result.load.items_created == 1


def test_an_app_that_may_not_manage_permissions_loads_nothing_restricted(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings")
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    # Without the ACL carried, the open lists load whatever happens to permissions.
    for path in mappings.glob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("  apply: true", "  apply: false"),
                        encoding="utf-8")  # fmt: skip
    with emulator_for(
        tmp_path, sample_corpus, "--ru-per-minute", "0", "--no-manage-permissions"
    ) as emulator:
        result = migrate([sample_corpus[0].path.parent], mappings, tmp_path / "work",
                         graph_url=emulator.graph_url, db_url=ledger_url)  # fmt: skip
        items, _ = read_back(emulator.graph_url)
    assert len(items["掲示板"]) == 40 and len(items["文書ライブラリ"]) == 12  # nothing else lost
    restricted = set(plans(tmp_path / "work"))
    loaded = {f["NotesUNID"] for entries in items.values() for f in entries}
    assert not restricted & loaded  # never wider access: not loaded at all
    ledger = Ledger(ledger_url)
    held = [
        q
        for s in ledger.status()
        for q in ledger.quarantined(s.replica_id)
        if q["unid"] in restricted
    ]
    assert len(held) == 18 and all("403" in q["detail"] for q in held), held[0]
    assert "create site group" in held[0]["detail"]  # names what was refused
    assert result.load.items_quarantined == 18
    # Each document's permission decision is a ledger fact: planned, never applied.
    states = {unid: state for s in ledger.status()
              for unid, (_audience, state) in ledger.access_view(s.replica_id).items()}  # fmt: skip
    assert {states[unid] for unid in restricted} == {"planned"}


def test_a_list_too_large_to_break_inheritance_is_reported_not_retried(
    sample_corpus: list[SampleFile], tmp_path: Path
) -> None:
    mappings = mappings_for(sample_corpus, tmp_path / "mappings", restricted=())
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    board = sample_corpus[0].path.parent / "keijiban.dxl"
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0",
                      "--break-inheritance-max-items=1") as emulator:  # fmt: skip
        graph = httpx.Client(base_url=emulator.graph_url, headers={"Authorization": "Bearer app"})
        site = graph.get(SITE).json()["id"]
        made = graph.post(
            f"/sites/{site}/lists",
            json={"displayName": "掲示板", "list": {"template": "genericList"}},
        ).json()
        for n in range(2):  # the customer's list already holds more than SharePoint allows
            graph.post(
                f"/sites/{site}/lists/{made['id']}/items", json={"fields": {"Title": f"既存 {n}"}}
            )
        started = time.perf_counter()
        result = migrate(
            [board], mappings, tmp_path / "work", graph_url=emulator.graph_url, db_url=ledger_url
        )
        seconds = time.perf_counter() - started
        items, _ = read_back(emulator.graph_url)
    assert [f["Title"] for f in items["掲示板"]] == ["既存 0", "既存 1"]  # nothing put in it
    held = Ledger(ledger_url).quarantined("1E9675FC9921B17D")
    assert len(held) == 40 and all("more than 100,000 items" in q["detail"] for q in held)
    assert result.load.retried == 0 and seconds < 30  # a refusal no retry cures: not retried


def test_a_plan_over_the_scope_limit_is_refused_before_anything_is_written(
    sample_corpus: list[SampleFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notesmig.sharepoint import permissions
    from notesmig.sharepoint.permissions import ScopeLimitError

    monkeypatch.setattr(permissions, "UNIQUE_SCOPES_SUPPORTED", 3)
    mappings = mappings_for(sample_corpus, tmp_path / "mappings", restricted=("genmen",))
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        with pytest.raises(
            ScopeLimitError, match=r"火災ごみ減免申請: the plan needs \d+ unique permission scopes"
        ):
            migrate([sample_corpus[0].path.parent / "genmen.dxl"], mappings, tmp_path / "work",
                    graph_url=emulator.graph_url, db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")  # fmt: skip
        items, _ = read_back(emulator.graph_url)
    assert "火災ごみ減免申請" not in items  # nothing of the database was loaded, not even its list


def test_a_list_near_the_recommended_scope_limit_is_said_in_the_summary(
    sample_corpus: list[SampleFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notesmig.sharepoint import permissions

    monkeypatch.setattr(permissions, "UNIQUE_SCOPES_RECOMMENDED", 4)
    mappings = mappings_for(sample_corpus, tmp_path / "mappings", restricted=("genmen",))
    with emulator_for(tmp_path, sample_corpus, "--ru-per-minute", "0") as emulator:
        result = migrate([sample_corpus[0].path.parent / "genmen.dxl"], mappings, tmp_path / "work",
                         graph_url=emulator.graph_url, db_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")  # fmt: skip
    near = [w for w in result.load.warnings if "near SharePoint's recommended 4" in w]
    assert near and near[0].startswith("火災ごみ減免申請: 固有の権限スコープ")
    # The ACL's narrowing of Author access is said too, not only logged.
    assert any("Author level: edits only the items one created" in w for w in result.load.warnings)
