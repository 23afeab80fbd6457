"""The reconciliation stage of one database: SharePoint compared with the ledger, verdicts
recorded, repairs scheduled for the next load."""

from __future__ import annotations

from notesmig.errors import TerminalError
from notesmig.ledger import Ledger
from notesmig.reconcile.reconciler import Reconciler
from notesmig.records import ReconciledDatabase, TargetPlan
from notesmig.sharepoint.graph import Graph
from notesmig.sharepoint.rest import SharePointRest


class NeverLoadedError(TerminalError):
    """A database the ledger has no load of: there is nothing to reconcile (names it)."""


async def reconcile(
    graph: Graph, rest: SharePointRest, ledger: Ledger, plan: TargetPlan, title: str | None
) -> ReconciledDatabase:
    result = await Reconciler(graph, rest, ledger, plan).run()
    database_id = ledger.database_id(plan.replica_id)
    if database_id is not None:
        # A run of this database: its counts and verdicts say which database they are of.
        run = ledger.begin_database_run("reconcile", plan.replica_id, None)
        ledger.record_verdicts(database_id, result.verdicts, result.repairs, run_id=run)
        ledger.finish_run(run, "success", result.counts)
    return ReconciledDatabase(
        replica_id=plan.replica_id,
        title=title,
        verdicts=result.counts,
        repairs=len(result.repairs),
    )
