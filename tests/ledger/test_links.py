"""What the link pass records: many documents' link results in one transaction, as one at a
time would have recorded them."""

from __future__ import annotations

from sqlalchemy import select

from notesmig.ledger import DocumentRecord, Ledger
from notesmig.ledger.links import LinkRecord, LinkResult
from notesmig.ledger.models import Document, Link

REPLICA = "B82634FA404574D2"


def test_a_batch_of_link_results_is_recorded_as_one_at_a_time_would(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.upgrade()
    database = ledger.register_database(REPLICA, "掲示板", None)
    ledger.record_extracted(
        database, [DocumentRecord(f"{n:032X}", "Topic", None, "a" * 64) for n in range(3)]
    )
    with ledger.session() as session:
        ids = list(session.scalars(select(Document.id).order_by(Document.unid)))
    direct = LinkResult("doclink", "58D6B8A63270688E", None, "D" * 32, "https://x/1", "direct")
    pending = LinkResult("doclink", "58D6B8A63270688E", None, "E" * 32, "https://r/2", "pending")
    ledger.record_links(ids[2], None, [pending])  # an earlier pass's result, replaced below
    ledger.record_many_links(
        [
            LinkRecord(ids[0], {"Body": "<p>old</p>"}, [pending]),
            LinkRecord(ids[1], None, [direct]),
            LinkRecord(999_999, {"Body": "x"}, [direct]),  # not in the ledger: skipped
            LinkRecord(ids[2], {"Body": "<p>2</p>"}, []),
            LinkRecord(ids[0], {"Body": '<p><a href="https://x/1">1</a></p>'}, [direct, pending]),
        ]
    )
    with ledger.session() as session:
        links = session.execute(
            select(Link.document_id, Link.status).order_by(Link.document_id, Link.id)
        ).all()
        fields = dict(session.execute(select(Document.id, Document.expected_fields)).all())
    assert [tuple(link) for link in links] == [
        (ids[0], "direct"), (ids[0], "pending"), (ids[1], "direct")]  # fmt: skip
    assert fields == {ids[0]: {"Body": '<p><a href="https://x/1">1</a></p>'}, ids[1]: None,
                      ids[2]: {"Body": "<p>2</p>"}}  # fmt: skip
    ledger.close()
