"""Accounting's CPU for confirming a range sync, in-process: what POST /v1/syncs/{id}/confirm
does (syncs.confirm: read the ready documents a page at a time, post their entries, mark
them posted, confirm the session) on a PostgreSQL database made for the run. CPU time of
this process only (time.process_time), so the figures hold on a machine others share; the
database's own CPU is not in them.

Each run stores ``--docs`` documents of the bench's mix into a new range session (as the
worker's proposals, not timed), puts the session in review and times its confirm. A month
end confirms a few hundred documents per company; the single-company bench, pages of
thousands. Best and first quartile of ``--repeat`` runs, µs per document, and the
statements a confirm sends.

python -m bench.accounting_confirm [--docs 300] [--repeat 15] [--profile]
"""

import argparse
import asyncio
import cProfile
import pstats
import time

from accounting.domain.syncs import SyncStatus
from accounting.service_layer import syncs
from bench.accounting_intake import (
    body,
    connected_bench,
    proposal_of,
    quartile,
    range_session,
    receive,
)


async def main(args: argparse.Namespace) -> None:
    async with connected_bench("confirm") as bench:
        services, profile_run = bench.services, cProfile.Profile() if args.profile else None

        async def in_review() -> str:
            sync_id = await range_session(services, bench.company_id)
            await receive(services, body([proposal_of(d, sync_id, bench.profile)
                                          for d in bench.documents.take(args.docs)],
                                         bench.versions))
            async with services.uow() as uow:
                await uow.syncs.update_sync(sync_id, status=SyncStatus.IN_REVIEW)
                await uow.commit()
            return sync_id

        cpu, sent = [], 0
        for i in range(args.repeat + 2):  # the first two warm the caches, untimed
            sync_id = await in_review()
            if profile_run is not None and i >= 2:
                profile_run.enable()
            before = bench.statements.count
            start = time.process_time()
            summary = await syncs.confirm(services, sync_id)
            spent = time.process_time() - start
            if profile_run is not None:
                profile_run.disable()
            if summary["posted"] + summary["held"] != args.docs:
                raise SystemExit(f"the confirm did not post every document: {summary}")
            if i >= 2:
                cpu.append(spent / args.docs * 1e6)
                sent += bench.statements.count - before
        print(f"confirm of {args.docs} documents ({args.repeat} runs): best "
              f"{min(cpu):7.1f} µs/doc, first quartile {quartile(cpu):7.1f} µs/doc; "
              f"{sent / args.repeat:.1f} statements a confirm")
        if profile_run is not None:
            pstats.Stats(profile_run).sort_stats("tottime").print_stats(35)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
