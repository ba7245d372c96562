"""The measured part: the whole flow through both public APIs, as a front-end drives it."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.seed import DATE_FROM, DATE_TO, SETTINGS
from deploy.local.client import FlowClient, integrate


def poll_interval(n: int) -> float:
    """Seconds between GET /v1/syncs/{id}: the timing resolution. Each poll counts the
    session's documents, so a big session is polled less often to weigh less on it."""
    return min(0.5, max(0.1, n / 200_000))


def is_settled(state: dict) -> bool:
    """The sync (GET /v1/syncs/{id}) is confirmed and every document in it is posted,
    held or found posted before."""
    settled = state["posted"] + state["held"] + state["already_posted"]
    return state["status"] == "confirmed" and settled >= state["expected"]


class PhaseFailed(RuntimeError):
    """A phase of the flow failed; says how far the run got, for the diagnosis."""


@dataclass
class Timings:
    delivery: float = 0.0  # connect → every document proposed (in_review)
    posting: float = 0.0  # confirm → every entry posted
    completed_at: float | None = None  # when accounting first knew the count (sync.completed)
    first_at: float | None = None  # when the first proposal arrived
    sync: dict = field(default_factory=dict)

    @property
    def overall(self) -> float:
        return self.delivery + self.posting


def connect_company(client: FlowClient, company_rut: str, contract_rut: str, name: str,
                    *, extra_settings: dict | None = None, timeout: float = 60) -> str:
    """Contract, company, integration request, approval and default accounts: the
    accounting company id, ready to connect."""
    company_id = integrate(client, company_rut, contract_rut, name,
                           {**SETTINGS, **(extra_settings or {})}, timeout=timeout)
    connector = client.integrations(company_id)[0]
    if not connector["can_connect"]:
        raise RuntimeError(f"cannot connect after setting the accounts: {connector}")
    return company_id


def sync_year(client: FlowClient, company_id: str, n: int, *, timeout: float,
              say: Callable[[str], None] = lambda _: None,
              mark: Callable[[str], None] = lambda _: None) -> Timings:
    """Connect → all posted; ``mark`` is called with each phase's name as it ends."""
    t = Timings()
    poll = poll_interval(n)
    start = time.perf_counter()
    sync = client.start_sync(company_id, DATE_FROM, DATE_TO)
    last_said = 0.0
    while True:
        state = client.sync(sync["id"])
        now = time.perf_counter() - start
        if t.first_at is None and state["received"]:
            t.first_at = now
        if t.completed_at is None and state["expected"] is not None:
            t.completed_at = now
        if state["status"] == "in_review":
            break
        if now > timeout:
            raise TimeoutError(f"the sync did not reach review in {timeout:.0f}s: {state}")
        if now - last_said >= 5:
            say(f"  {now:5.1f}s {state['status']}: {state['received']:,} of "
                f"{state['expected'] if state['expected'] is not None else '?'} proposed")
            last_said = now
        time.sleep(poll)
    t.delivery = time.perf_counter() - start
    mark("delivery")
    if state["expected"] != n:
        raise RuntimeError(f"invoicing sent {state['expected']} documents, {n} were seeded")
    say(f"  {t.delivery:5.1f}s in review: {state['received']:,} proposed; confirming")

    start = time.perf_counter()
    try:
        client.confirm(sync["id"])
    except Exception as error:
        raise PhaseFailed(
            f"confirming failed after {time.perf_counter() - start:.1f}s: {error} "
            f"(delivery to review had taken {t.delivery:.1f}s, {n / t.delivery:,.0f} "
            "documents/s)") from error
    while True:
        state = client.sync(sync["id"])
        if is_settled(state):
            break
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"the entries were not all posted in {timeout:.0f}s: {state}")
        time.sleep(poll)
    t.posting = time.perf_counter() - start
    t.sync = state
    say(f"  {t.posting:5.1f}s posted: {state['posted']:,}, held {state['held']:,}")
    return t
