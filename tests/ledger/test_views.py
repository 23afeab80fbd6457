"""Reading the ledger: what the loader needs of one database, and every database's status
and held-back documents as the report and the CLI show them."""

from __future__ import annotations

from notesmig.ledger import Ledger, State
from notesmig.ledger.models import VALIDATE_STAGE
from tests.ledger.helpers import REPLICA, file_row, held, left_out, records, unid

OTHER = "1E9675FC9921B17D"


def loaded_database(ledger: Ledger) -> int:
    """Four documents: loaded (restricted), transformed with a file, held, and left out."""
    database = ledger.register_database(REPLICA, "出張申請", None)
    ledger.record_extracted(database, records(4))
    ledger.apply_transform(
        database, transformed=[unid(0), unid(1)],
        quarantined=[held(unid(2), "restricted (Readers field)")],
        excluded=[left_out(unid(3), "form 'Draft' is excluded")],
        files=[file_row(unid(1), "a.pdf", key="Body/a.pdf/0"), file_row(unid(1), "old.pdf")],
    )  # fmt: skip
    ledger.advance(database, unid(0), State.LOADED, item_id="11", list_id="list-1")
    ledger.set_access(database, unid(0), audience="aud-1", state="verified")
    return database


def test_what_the_loader_reads_of_one_database(ledger: Ledger) -> None:
    loaded_database(ledger)
    other = ledger.register_database(OTHER, "掲示板", None)
    ledger.record_extracted(other, records(1, "z"))
    view = ledger.load_view(REPLICA)
    assert view == {
        unid(0): ("loaded", "11", "a" * 64),
        unid(1): ("transformed", None, "a" * 64),
        unid(2): ("quarantined", None, "a" * 64),
        unid(3): ("excluded", None, "a" * 64),
    }
    assert ledger.item_lists(REPLICA) == {unid(0): "list-1"}
    assert ledger.access_view(REPLICA) == {unid(0): ("aud-1", "verified")}
    assert set(ledger.attachment_view(REPLICA)) == {(unid(1), "L", unid(1), "a.pdf"),
                                                    (unid(1), "L", unid(1), "old.pdf")}  # fmt: skip
    # Only files known by their key have a placement to keep.
    assert ledger.placements(REPLICA) == {(unid(1), "Body/a.pdf/0"): ("L", unid(1), "a.pdf")}
    assert ledger.load_view(OTHER) == {unid(0): ("extracted", None, "z" * 64)}
    assert ledger.load_view("FFFFFFFFFFFFFFFF") == {}


def test_a_stage_sees_only_what_it_holds_back(ledger: Ledger) -> None:
    database = loaded_database(ledger)
    ledger.quarantine(database, unid(1), VALIDATE_STAGE, "value too long")
    assert ledger.held_at(REPLICA, VALIDATE_STAGE) == {unid(1)}
    assert ledger.held_at(REPLICA, "transform") == {unid(2)}
    assert ledger.held_at(OTHER, "transform") == set()


def test_the_status_of_every_database(ledger: Ledger) -> None:
    database = loaded_database(ledger)
    ledger.register_database(OTHER, "掲示板", None)
    ledger.quarantine(database, unid(1), VALIDATE_STAGE, "restricted (Readers field)")
    ledger.quarantine(database, unid(1), VALIDATE_STAGE, "value too long")
    ledger.record_unknown_people(database, {"退職者/ACME": 2})
    ledger.record_scope(database, "list-1", "aud-1", item_id="4", grants_sha256="a" * 64,
                        grants=[], state="verified")  # fmt: skip
    ledger.advance(database, unid(0), State.VERIFIED, error="1 file not verified")
    empty, status = sorted(ledger.status(), key=lambda s: s.total)
    assert [empty.replica_id, status.replica_id] == [OTHER, REPLICA]  # every database
    assert (empty.total, empty.states, empty.quarantined) == (0, {}, 0)
    assert status.title == "出張申請" and status.total == 4
    assert status.states == {"excluded": 1, "quarantined": 2, "verified": 1}
    assert status.quarantined == 2  # documents held, not entries
    # The commonest reason first.
    assert list(status.reasons.items()) == [("restricted (Readers field)", 2),
                                            ("value too long", 1)]  # fmt: skip
    # A held or left-out document's reason is not an error; a verified one's is.
    assert status.errors == 1
    assert (status.unknown_people, status.restricted_loaded, status.unique_scopes) == (1, 1, 1)


def test_held_back_documents_with_their_reasons(ledger: Ledger) -> None:
    database = loaded_database(ledger)
    ledger.quarantine(database, unid(1), VALIDATE_STAGE, "value too long", "Subject: 300 文字")
    other = ledger.register_database(OTHER, None, None)
    ledger.record_extracted(other, records(1))
    ledger.quarantine(other, unid(0), "load", "list refused")
    held = ledger.quarantined(REPLICA)
    assert [(h["unid"], h["stage"], h["reason"], h["detail"]) for h in held] == [
        (unid(1), VALIDATE_STAGE, "value too long", "Subject: 300 文字"),
        (unid(2), "transform", "restricted (Readers field)", ""),
    ]
    assert held[0]["form"] == "TripRequest" and held[0]["created"] is not None
    assert [h["replica_id"] for h in ledger.quarantined()] == [OTHER, REPLICA, REPLICA]


def test_a_database_by_its_replica_id(ledger: Ledger) -> None:
    database = loaded_database(ledger)
    assert ledger.database_id(REPLICA) == database
    assert ledger.database_id(OTHER) is None
    assert ledger.states(REPLICA) == {unid(0): "loaded", unid(1): "transformed",
                                      unid(2): "quarantined", unid(3): "excluded"}  # fmt: skip
