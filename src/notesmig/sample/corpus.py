"""The bundled sample corpus: four Notes applications of a Japanese city, as DXL.

Generated deterministically from a seed (same seed, same bytes):

* ``keijiban.dxl`` 掲示板: main topics, responses and responses to responses.
* ``bunsho.dxl`` 文書ライブラリ: documents with Word/Excel/PDF-like attachments of varied sizes,
  rich text with tables, URL links and doclinks.
* ``shutcho.dxl`` 出張申請: business-trip requests with approvers, status, amounts, dates and
  Readers/Authors fields.
* ``genmen.dxl`` 火災ごみ減免申請: fire-damage waste fee reduction applications with photos.

Doclinks cross the databases (trip requests cite the travel rules in the library, notices
cite library documents, applications cite the board's notice), as in real Notes estates.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

from notesmig.sample import files
from notesmig.sample.dxlbuild import (
    DOCTYPE,
    DXL_NAMESPACE,
    E,
    RichText,
    attachment_ref,
    bold,
    datetime_element,
    datetime_item,
    datetime_range_item,
    doc_link,
    file_item,
    inline_picture,
    noteinfo,
    number_item,
    run,
    stable_hex,
    text_item,
    url_link,
)

JST = timezone(timedelta(hours=9), "JST")
ORGANIZATION = "Maebashi"

_SURNAMES = [
    "山田",
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山本",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "斎藤",
    "森",
    "池田",
]
_GIVEN = [
    "太郎",
    "花子",
    "一郎",
    "美咲",
    "健太",
    "陽子",
    "翔",
    "由美",
    "大輔",
    "恵",
    "拓也",
    "直子",
    "誠",
    "さくら",
    "浩二",
    "舞",
]
DEPARTMENTS = [
    "情報政策課",
    "総務課",
    "財政課",
    "環境政策課",
    "清掃事業課",
    "防災危機管理課",
    "市民課",
    "子育て支援課",
]


@dataclass(frozen=True)
class Person:
    surname: str
    given: str
    department: str

    @property
    def canonical(self) -> str:
        return f"CN={self.surname} {self.given}/OU={self.department}/O={ORGANIZATION}"

    @property
    def abbreviated(self) -> str:
        return f"{self.surname} {self.given}/{self.department}/{ORGANIZATION}"

    @property
    def display(self) -> str:
        return f"{self.surname} {self.given}"


@dataclass(frozen=True)
class DatabaseSpec:
    key: str
    file_name: str
    title: str
    path: str


DATABASES = {
    "keijiban": DatabaseSpec("keijiban", "keijiban.dxl", "掲示板", "apps/keijiban.nsf"),
    "bunsho": DatabaseSpec("bunsho", "bunsho.dxl", "文書ライブラリ", "apps/bunsho.nsf"),
    "shutcho": DatabaseSpec("shutcho", "shutcho.dxl", "出張申請", "wf/shutcho.nsf"),
    "genmen": DatabaseSpec("genmen", "genmen.dxl", "火災ごみ減免申請", "wf/genmen.nsf"),
}


@dataclass
class Corpus:
    """Shared identities: who works here, and the ids every database can link to."""

    seed: int
    scale: int
    people: list[Person] = field(default_factory=list)

    def replica(self, db: str) -> str:
        return stable_hex(self.seed, "replica", db, length=16)

    def unid(self, db: str, index: int) -> str:
        return stable_hex(self.seed, "unid", db, index)

    def view(self, db: str) -> str:
        return stable_hex(self.seed, "view", db)

    def link(self, db: str, index: int, text: str, description: str) -> etree._Element:
        return doc_link(self.replica(db), self.view(db), self.unid(db, index), text, description)


@dataclass
class SampleFile:
    path: Path
    title: str
    documents: int


#: Staff left out of users.csv on purpose, so unknown-name handling shows in every run.
UNMAPPED_STAFF = 2
#: The Notes administrator (the ACLs' Manager) and the Entra ID account it becomes.
NOTES_ADMIN = f"CN=Admin/O={ORGANIZATION}"
NOTES_ADMIN_UPN = "notes-admin@contoso.onmicrosoft.com"
#: The Notes group every member of staff is in, and the Entra ID group it becomes.
ALL_STAFF = f"{ORGANIZATION}_全職員"
ALL_STAFF_GROUP = "all-staff@contoso.onmicrosoft.com"


def _mapped_staff(corpus: Corpus) -> list[tuple[Person, str]]:
    staff = list(dict.fromkeys(corpus.people))  # the same person may be drawn twice
    return [
        (person, f"user{index:02d}@contoso.onmicrosoft.com")
        for index, person in enumerate(staff[: len(staff) - UNMAPPED_STAFF])
    ]


def write_users(path: Path, corpus: Corpus) -> int:
    """The user mapping a migration team would export from the directory: Notes names to UPNs."""
    rows = ["notes_name,upn,display_name", f"{NOTES_ADMIN},{NOTES_ADMIN_UPN},Notes 管理者"]
    for person, upn in _mapped_staff(corpus):
        rows.append(f"{person.canonical},{upn},{person.display}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows) - 1


def write_groups(path: Path) -> None:
    """The group mapping: Notes groups (in ACLs and Readers fields) to Entra ID groups."""
    path.write_text(
        f"notes_group,entra_group,display_name\n{ALL_STAFF},{ALL_STAFF_GROUP},全職員\n",
        encoding="utf-8",
    )


def write_entra_groups(path: Path, corpus: Corpus) -> None:
    """What Entra ID holds: each group's members (the emulator's --groups)."""
    rows = ["group,member"]
    rows += [f"{ALL_STAFF_GROUP},{upn}" for _person, upn in _mapped_staff(corpus)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def generate(out: Path, *, scale: int = 1, seed: int = 2025) -> list[SampleFile]:
    """Write the four sample databases into ``out``; returns what was written."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    corpus = Corpus(seed, scale)
    corpus.people = [
        Person(rng.choice(_SURNAMES), rng.choice(_GIVEN), DEPARTMENTS[i % len(DEPARTMENTS)])
        for i in range(32)
    ]
    builders: dict[str, Callable[[Corpus, random.Random], Iterator[etree._Element]]] = {
        "keijiban": _bulletin_board,
        "bunsho": _document_library,
        "shutcho": _trip_requests,
        "genmen": _fee_reductions,
    }
    written = []
    for key, build in builders.items():
        spec = DATABASES[key]
        db_rng = random.Random(f"{seed}:{key}")
        count = _write_database(out / spec.file_name, spec, corpus, build(corpus, db_rng))
        written.append(SampleFile(out / spec.file_name, spec.title, count))
    write_users(out / "users.csv", corpus)
    write_groups(out / "groups.csv")
    write_entra_groups(out / "entra-groups.csv", corpus)
    return written


def _write_database(
    path: Path, spec: DatabaseSpec, corpus: Corpus, notes: Iterator[etree._Element]
) -> int:
    count = 0
    root = E.database(
        version="10.0", replicaid=corpus.replica(spec.key), path=spec.path, title=spec.title
    )
    opening = etree.tostring(root, encoding="unicode").removesuffix("/>")
    with path.open("wb") as sink:
        sink.write(b"<?xml version='1.0' encoding='utf-8'?>\n")
        sink.write(DOCTYPE.encode() + b"\n")
        sink.write(f'{opening} xmlns="{DXL_NAMESPACE}">\n'.encode())
        for note in notes:
            sink.write(etree.tostring(note, encoding="utf-8"))
            sink.write(b"\n")
            if note.tag == "document":
                count += 1
        sink.write(b"</database>\n")
    return count


# -- shared pieces -----------------------------------------------------------------------


def _database_info(corpus: Corpus, key: str, documents: int, when: datetime) -> etree._Element:
    return E.databaseinfo(
        E.datamodified(datetime_element(when)),
        E.designmodified(datetime_element(when)),
        dbid=corpus.replica(key),
        replicaid=corpus.replica(key),
        numberofdocuments=str(documents),
    )


def _acl(corpus: Corpus, managers: list[Person], roles: list[str]) -> etree._Element:
    entries = [E.aclentry(name="-Default-", default="true", level="noaccess")]
    entries.append(
        E.aclentry(
            *(E.role(r) for r in roles),
            name=NOTES_ADMIN,
            type="person",
            level="manager",
            deletedocs="true",
        )
    )
    for person in managers:
        entries.append(
            E.aclentry(
                *(E.role(r) for r in roles[:1]),
                name=person.canonical,
                type="person",
                level="editor",
                deletedocs="true",
            )
        )
    entries.append(E.aclentry(name=ALL_STAFF, type="persongroup", level="author"))
    return E.acl(*(E.role(r) for r in roles), *entries)


def _form(
    corpus: Corpus, db: str, name: str, fields: list[tuple[str, str, str, bool]]
) -> etree._Element:
    """A form design; fields as (label, item name, field type, multi-value)."""
    body = []
    for label, item, kind, multi in fields:
        attributes = {"name": item, "type": kind, "kind": "editable"}
        if multi:
            attributes["allowmultivalues"] = "true"
        body.append(E.par(f"{label}: ", E.field(**attributes), {"def": "1"}))
    created = datetime(2019, 4, 1, 9, 0, tzinfo=JST)
    return E.form(
        noteinfo(0x100 + len(name), stable_hex(corpus.seed, "form", db, name), created, created),
        E.body(E.richtext(E.pardef(id="1"), *body)),
        name=name,
    )


def _document(
    form: str,
    noteid: int,
    unid: str,
    created: datetime,
    modified: datetime,
    author: Person,
    items: list[etree._Element],
    parent: str | None = None,
) -> etree._Element:
    attributes = {"form": form}
    if parent is not None:
        attributes["parent"] = parent
    return E.document(
        noteinfo(noteid, unid, created, modified),
        E.updatedby(E.name(author.canonical)),
        *items,
        **attributes,
    )


def _moment(rng: random.Random, start: date, days: int) -> datetime:
    day = start + timedelta(days=rng.randrange(days))
    return datetime(
        day.year,
        day.month,
        day.day,
        rng.randrange(8, 19),
        rng.randrange(60),
        rng.randrange(60),
        rng.randrange(100) * 10000,
        tzinfo=JST,
    )


def _later(rng: random.Random, when: datetime, max_hours: int = 72) -> datetime:
    return when + timedelta(minutes=rng.randrange(5, max_hours * 60))


# -- 掲示板 -------------------------------------------------------------------------------

_TOPICS = [
    ("庁内ネットワーク計画停止のお知らせ", "システム"),
    ("Microsoft 365 移行説明会の開催について", "システム"),
    ("令和7年度 予算編成方針について", "財政"),
    ("防災訓練（10月実施）の参加者募集", "防災"),
    ("ごみ収集日程の変更について（年末年始）", "環境"),
    ("職員研修：情報セキュリティ（必須）", "研修"),
    ("庁舎駐車場の利用ルール改定", "総務"),
    ("子育て支援アプリの試行運用について", "子育て"),
    ("Notes 停止（令和7年6月）に向けたデータ移行", "システム"),
    ("市民課窓口の混雑状況と応援依頼", "市民"),
    ("公用車の予約方法が変わります", "総務"),
    ("火災被災世帯へのごみ処理手数料減免の周知", "環境"),
]


def _bulletin_board(corpus: Corpus, rng: random.Random) -> Iterator[etree._Element]:
    db = "keijiban"
    topics = len(_TOPICS) * corpus.scale
    plan: list[tuple[int, int | None, int]] = []  # (index, parent index, depth)
    index = 0
    for _ in range(topics):
        main = index
        plan.append((main, None, 0))
        index += 1
        for _ in range(rng.randrange(0, 4)):
            response = index
            plan.append((response, main, 1))
            index += 1
            if rng.random() < 0.4:
                plan.append((index, response, 2))
                index += 1
    when = datetime(2025, 3, 31, 17, 0, tzinfo=JST)
    yield _database_info(corpus, db, len(plan), when)
    yield _acl(corpus, corpus.people[:2], ["[Moderator]"])
    fields = [
        ("件名", "Subject", "text", False),
        ("カテゴリ", "Categories", "keyword", True),
        ("投稿者", "From", "authors", False),
        ("本文", "Body", "richtext", False),
    ]
    yield _form(corpus, db, "MainTopic", fields)
    yield _form(corpus, db, "Response", fields[:1] + fields[2:])
    yield _form(corpus, db, "ResponseToResponse", fields[:1] + fields[2:])
    created_at: dict[int, datetime] = {}
    subjects: dict[int, str] = {}
    for position, parent, depth in plan:
        author = rng.choice(corpus.people)
        if parent is None:
            subject, category = _TOPICS[position % len(_TOPICS)]
            if corpus.scale > 1:
                subject = f"{subject}（{position // len(_TOPICS) + 1}）"
            created = _moment(rng, date(2024, 4, 1), 360)
        else:
            subject = "Re: " + subjects[parent].removeprefix("Re: ")
            category = ""
            created = _later(rng, created_at[parent])
        created_at[position] = created
        subjects[position] = subject
        modified = _later(rng, created, 24) if rng.random() < 0.3 else created
        body = RichText()
        if parent is None:
            body.par(
                f"{author.department}の{author.display}です。",
            )
            body.par(
                run("【重要】", style="bold", color="red"), f"{subject}についてお知らせします。"
            )
            body.bullets(
                [
                    "対象：全職員",
                    f"期日：令和7年{rng.randrange(1, 13)}月{rng.randrange(1, 29)}日",
                    "問い合わせ：内線 " + str(rng.randrange(2000, 3000)),
                ]
            )
            if category == "システム":
                body.par(
                    "詳細は文書ライブラリを参照してください：",
                    corpus.link("bunsho", 1, "移行計画書", "Notes移行計画書（文書ライブラリ）"),
                )
            body.par(
                "参考：", url_link("https://www.city.maebashi.gunma.jp/", "前橋市ホームページ")
            )
        else:
            body.par(
                rng.choice(
                    [
                        "承知しました。",
                        "確認しました。ありがとうございます。",
                        "質問があります。詳細を教えてください。",
                        "当課も参加します。",
                    ]
                )
            )
            body.par("元の投稿：", corpus.link(db, parent, subjects[parent], subjects[parent]))
        items = [text_item("Subject", subject)]
        if category:
            items.append(text_item("Categories", [category, "お知らせ"]))
        items += [text_item("From", author.canonical, authors=True), body.item("Body")]
        form = ("MainTopic", "Response", "ResponseToResponse")[depth]
        parent_unid = corpus.unid(db, parent) if parent is not None else None
        yield _document(
            form,
            0x900 + 4 * position,
            corpus.unid(db, position),
            created,
            modified,
            author,
            items,
            parent_unid,
        )


# -- 文書ライブラリ ----------------------------------------------------------------------------

_LIBRARY = [
    ("旅費規程（令和6年4月改正）", "規程", [("旅費規程_R6.pdf", 180_000)]),
    (
        "Notes 移行計画書",
        "計画",
        [("Notes移行計画書_v3.docx", 420_000), ("移行対象DB一覧.xlsx", 96_000)],
    ),
    ("令和7年度 予算要求書（情報政策課）", "予算", [("予算要求書_R7.xlsx", 240_000)]),
    ("防災計画（案）", "計画", [("防災計画(案).pdf", 1_450_000)]),
    ("第3回 DX推進会議 議事録", "議事録", [("議事録: 第3回 DX推進会議.docx", 64_000)]),
    (
        "庁内ネットワーク構成図",
        "資料",
        [("ネットワーク構成図.pdf", 820_000), ("機器一覧.csv", 12_000)],
    ),
    ("個人情報保護方針", "規程", [("個人情報保護方針.pdf", 150_000)]),
    ("ごみ処理手数料減免要綱", "要綱", [("減免要綱.pdf", 210_000), ("申請書様式.docx", 48_000)]),
    ("職員研修資料：情報セキュリティ", "研修", [("セキュリティ研修.pptx", 2_100_000)]),
    ("公用車管理規程", "規程", [("公用車管理規程.pdf", 130_000)]),
    ("業務継続計画（BCP）", "計画", [("BCP_本編.pdf", 990_000), ("BCP_別冊.pdf", 990_000)]),
    ("会議室予約ルール", "資料", [("会議室予約申請書.docx", 48_000)]),
]


_SHARED_TEMPLATE_NAMES = {"申請書様式.docx", "会議室予約申請書.docx"}


def _document_library(corpus: Corpus, rng: random.Random) -> Iterator[etree._Element]:
    db = "bunsho"
    total = len(_LIBRARY) * corpus.scale
    yield _database_info(corpus, db, total, datetime(2025, 3, 31, 17, 0, tzinfo=JST))
    yield _acl(corpus, corpus.people[2:4], ["[Editor]"])
    yield _form(
        corpus,
        db,
        "Document",
        [
            ("タイトル", "Subject", "text", False),
            ("分類", "Category", "keyword", False),
            ("作成者", "DocAuthor", "names", False),
            ("版", "Version", "number", False),
            ("公開日", "PublishDate", "datetime", False),
            ("本文", "Body", "richtext", False),
        ],
    )
    shared_template = files.document_bytes(".docx", 48_000, random.Random(f"{corpus.seed}:tmpl"))
    for position in range(total):
        title, category, attachments = _LIBRARY[position % len(_LIBRARY)]
        if corpus.scale > 1:
            title = f"{title}（{position // len(_LIBRARY) + 1}）"
        author = rng.choice(corpus.people)
        created = _moment(rng, date(2023, 4, 1), 700)
        modified = _later(rng, created, 24 * 60)
        body = RichText()
        body.par(bold(title), align="center")
        body.par(f"担当：{author.department} {author.display}")
        body.table(
            [
                ["項目", "内容"],
                ["分類", category],
                ["版", f"第{rng.randrange(1, 5)}版"],
                ["公開範囲", rng.choice(["庁内", "課内", "全職員"])],
            ],
            widths=["30%", "70%"],
        )
        detail = RichText()
        detail.numbered(["目的", "適用範囲", "運用手順", "改訂履歴"])
        body.section("目次", detail)
        body.rule()
        if position % len(_LIBRARY) == 1:
            body.par("関連：", corpus.link("keijiban", 0, "説明会のお知らせ", "掲示板：移行説明会"))
        body.par("外部参照：", url_link("https://www.soumu.go.jp/", "総務省"))
        items = [
            text_item("Subject", title),
            text_item("Category", category),
            text_item("DocAuthor", author.canonical, names=True),
            number_item("Version", rng.randrange(1, 5)),
            datetime_item("PublishDate", created.date()),
        ]
        file_items = []
        for name, size in attachments:
            suffix = Path(name).suffix
            varied = max(1024, int(size * rng.uniform(0.8, 1.2)))
            # Two documents carry the same form file: the blob store must keep it once.
            data = (
                shared_template
                if name in _SHARED_TEMPLATE_NAMES
                else files.document_bytes(suffix, varied, rng)
            )
            body.par("添付：", attachment_ref(name))
            file_items.append(file_item(name, data, created, modified))
        items.append(body.item("Body"))
        items.extend(file_items)
        yield _document(
            "Document",
            0x900 + 4 * position,
            corpus.unid(db, position),
            created,
            modified,
            author,
            items,
        )


# -- 出張申請 -----------------------------------------------------------------------------

_DESTINATIONS = [
    ("東京都千代田区", "総務省 自治体DX説明会", 8_420),
    ("群馬県庁", "県市町村担当者会議", 960),
    ("大阪市", "自治体クラウド事例視察", 29_800),
    ("仙台市", "防災システム研修", 21_300),
    ("高崎市", "広域連携打合せ", 480),
    ("札幌市", "ごみ処理施設視察", 48_600),
]
_STATUSES = ["申請中", "承認済", "承認済", "承認済", "差戻し", "却下"]


def _trip_requests(corpus: Corpus, rng: random.Random) -> Iterator[etree._Element]:
    db = "shutcho"
    total = 20 * corpus.scale
    yield _database_info(corpus, db, total, datetime(2025, 3, 31, 17, 0, tzinfo=JST))
    yield _acl(corpus, corpus.people[4:6], ["[Approver]", "[Admin]"])
    yield _form(
        corpus,
        db,
        "TripRequest",
        [
            ("申請者", "Requester", "names", False),
            ("所属", "Department", "text", False),
            ("出張先", "Destination", "text", False),
            ("用務", "Purpose", "text", False),
            ("出発日", "DepartureDate", "datetime", False),
            ("帰着日", "ReturnDate", "datetime", False),
            ("旅費", "Amount", "number", False),
            ("交通手段", "Transport", "keyword", True),
            ("承認者", "Approvers", "names", True),
            ("状態", "Status", "keyword", False),
            ("承認日時", "ApprovedAt", "datetime", False),
            ("閲覧者", "DocReaders", "readers", True),
            ("編集者", "DocAuthors", "authors", True),
            ("備考", "Remarks", "richtext", False),
        ],
    )
    for position in range(total):
        requester = rng.choice(corpus.people)
        approvers = rng.sample([p for p in corpus.people if p != requester], 2)
        destination, purpose, fare = rng.choice(_DESTINATIONS)
        created = _moment(rng, date(2024, 4, 1), 330)
        departure = (created + timedelta(days=rng.randrange(7, 40))).date()
        nights = rng.randrange(0, 3)
        status = rng.choice(_STATUSES)
        modified = _later(rng, created, 96)
        items = [
            text_item("Requester", requester.canonical, names=True),
            text_item("Department", requester.department),
            text_item("Destination", destination),
            text_item("Purpose", purpose),
            datetime_item("DepartureDate", departure),
            datetime_item("ReturnDate", departure + timedelta(days=nights)),
            number_item("Amount", fare * 2 + nights * 10_900),
            text_item(
                "Transport", rng.choice([["JR"], ["JR", "新幹線"], ["公用車"], ["航空機", "JR"]])
            ),
            text_item("Approvers", [p.canonical for p in approvers], names=True),
            text_item("Status", status),
        ]
        history = [f"{created:%Y/%m/%d %H:%M} 申請 {requester.display}"]
        if status in ("承認済", "差戻し", "却下"):
            decided = _later(rng, created, 72)
            items.append(datetime_item("ApprovedAt", decided))
            history.append(f"{decided:%Y/%m/%d %H:%M} {status} {approvers[0].display}")
            start = datetime.combine(departure, datetime.min.time(), JST).replace(hour=8)
            items.append(
                datetime_range_item("TripPeriod", start, start + timedelta(days=nights, hours=10))
            )
        items.append(text_item("History", history))
        if rng.random() < 0.5:  # requests with personal circumstances are restricted
            readers = [requester.canonical] + [p.canonical for p in approvers] + ["[Admin]"]
            items.append(text_item("DocReaders", readers, readers=True))
        items.append(text_item("DocAuthors", [requester.canonical, "[Approver]"], authors=True))
        remarks = RichText()
        remarks.par(
            "旅費規程に基づき算定：",
            corpus.link("bunsho", 0, "旅費規程", "旅費規程（文書ライブラリ）"),
        )
        remarks.table(
            [
                ["区分", "金額（円）"],
                ["交通費", f"{fare * 2:,}"],
                ["宿泊費", f"{nights * 10_900:,}"],
            ]
        )
        items.append(remarks.item("Remarks"))
        yield _document(
            "TripRequest",
            0x900 + 4 * position,
            corpus.unid(db, position),
            created,
            modified,
            requester,
            items,
        )


# -- 火災ごみ減免申請 -----------------------------------------------------------------------

_TOWNS = ["大手町", "千代田町", "本町", "南町", "朝日町", "天川大島町", "富士見町", "粕川町"]


def _fee_reductions(corpus: Corpus, rng: random.Random) -> Iterator[etree._Element]:
    db = "genmen"
    total = 10 * corpus.scale
    yield _database_info(corpus, db, total, datetime(2025, 3, 31, 17, 0, tzinfo=JST))
    yield _acl(corpus, corpus.people[6:8], ["[Reviewer]"])
    yield _form(
        corpus,
        db,
        "FeeReduction",
        [
            ("申請者氏名", "ApplicantName", "text", False),
            ("住所", "Address", "text", False),
            ("電話番号", "Phone", "text", False),
            ("罹災日", "DisasterDate", "datetime", False),
            ("罹災証明番号", "CertificateNo", "text", False),
            ("ごみ量(kg)", "WasteKg", "number", False),
            ("減免額", "ReductionYen", "number", False),
            ("受付者", "ReceivedBy", "names", False),
            ("状態", "Status", "keyword", False),
            ("閲覧者", "DocReaders", "readers", True),
            ("現場状況", "Situation", "richtext", False),
        ],
    )
    staff = [p for p in corpus.people if p.department in ("環境政策課", "清掃事業課")]
    for position in range(total):
        receiver = rng.choice(staff)
        created = _moment(rng, date(2024, 5, 1), 300)
        modified = _later(rng, created, 240)
        disaster = (created - timedelta(days=rng.randrange(1, 20))).date()
        waste = rng.randrange(200, 4_000)
        applicant = f"{rng.choice(_SURNAMES)} {rng.choice(_GIVEN)}"
        situation = RichText()
        situation.par(f"{disaster:%m月%d日}に発生した火災により、家財等が焼損。")
        photo = files.png(48, 32, rng)
        situation.par(inline_picture(photo, 48, 32, "現場写真（縮小）"))
        situation.par("周知文：", corpus.link("keijiban", 11, "減免の周知", "掲示板：減免の周知"))
        items = [
            text_item("ApplicantName", applicant),
            text_item(
                "Address",
                f"前橋市{rng.choice(_TOWNS)}{rng.randrange(1, 5)}丁目"
                f"{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
            ),
            text_item("Phone", f"027-{rng.randrange(200, 300)}-{rng.randrange(1000, 10000)}"),
            datetime_item("DisasterDate", disaster),
            text_item("CertificateNo", f"前消第{rng.randrange(100, 999)}号"),
            number_item("WasteKg", waste),
            number_item("ReductionYen", (waste // 10) * 100),
            text_item("ReceivedBy", receiver.canonical, names=True),
            text_item("Status", rng.choice(["受付", "審査中", "決定", "決定"])),
            text_item("DocReaders", [receiver.canonical, "[Reviewer]"], readers=True),
            situation.item("Situation"),
        ]
        for number in range(1, rng.randrange(2, 4) + 1):
            image = files.png(rng.randrange(80, 160), rng.randrange(60, 120), rng)
            items.append(file_item(f"現場写真{number}.png", image, created, created))
        yield _document(
            "FeeReduction",
            0x900 + 4 * position,
            corpus.unid(db, position),
            created,
            modified,
            receiver,
            items,
        )
