"""Month end: one accounting firm's contract, many companies with a month of documents
each, every sync started at once and reviewed and confirmed by a few concurrent clients
through the public API, as the accountants' front-ends would.

The clients are threads of this process, each with its own HTTP connections and a bearer
token scoped to the contract alone (what an accountant's front-end holds). Each takes
every n-th company: it starts their syncs, then waits on each (a long poll, GET
/v1/syncs/{id}?wait=, as an open review screen would) until it is in review; it reviews
(its documents listed, as the review screen shows them) and confirms them one at a time,
and a company is done when its sync is confirmed with every document settled (as the
confirm's answer says).
"""

import itertools
import math
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import httpx

from bench.flow import PhaseFailed, is_settled
from bench.seed import MONTH_FROM, MONTH_TO, SETTINGS
from bench.stats import percentile
from deploy.local.auth import Signer
from deploy.local.client import FlowClient, wait_for

CLIENTS = 20
CONTRACT_NAME = "Contadores del Mes Ltda."
_SIZE = re.compile(r"^\s*(\d+)\s*[x×*]\s*(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Size:
    companies: int
    docs: int  # per company

    @property
    def total(self) -> int:
        return self.companies * self.docs

    def __str__(self) -> str:
        return f"{self.companies}×{self.docs}"


def parse_size(text: str) -> Size:
    """'200x300' (or 200×300): companies × documents each."""
    match = _SIZE.match(str(text))
    if match is None:
        raise ValueError(f"{text!r}: give COMPANIES×DOCS, as 200x300")
    size = Size(int(match[1]), int(match[2]))
    if size.companies < 1 or size.docs < 1:
        raise ValueError(f"{text!r}: COMPANIES×DOCS needs at least one company and one "
                         "document each")
    return size


# Seconds a GET of a sync may wait for it to be in review (GET /v1/syncs/{id}?wait=): a
# stop or the timeout is noticed within that, and a waiting company costs accounting a
# request when its sync moves on or every so many seconds.
WAIT_SECONDS = 25.0


class ContractToken(httpx.Auth):
    """One bearer token naming the contract and nothing else: the review clients reach
    the contract's companies in accounting and nothing in invoicing."""

    def __init__(self, contract_rut: str, sub: str, signer: Signer | None = None):
        self.token = (signer or Signer.from_environment()).mint(
            sub, contracts=[contract_rut], ttl_seconds=3600)

    def auth_flow(self, request: httpx.Request):  # noqa: ANN201 - httpx's generator protocol
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


@dataclass
class CompanySync:
    """One company of the month end, and when its client saw each step (seconds from the
    moment every client was ready to start)."""

    rut: str
    name: str
    company_id: str = ""
    sync_id: str = ""
    # NaN until seen: a step never seen cannot pass for a fast one (as stats.percentile).
    started_at: float = math.nan
    in_review_at: float = math.nan
    posted_at: float = math.nan
    state: dict = field(default_factory=dict)  # the sync as last seen

    @property
    def seconds(self) -> float:
        """Sync started → every entry posted."""
        return self.posted_at - self.started_at


@dataclass
class MonthEnd:
    size: Size
    clients: int
    companies: list[CompanySync]
    seconds: float = 0.0  # the clients ready → the last company's entries posted
    requests: int = 0  # the clients' API calls
    client_cpu_seconds: float = 0.0  # this process, all its threads

    @property
    def rate(self) -> float:
        return self.size.total / self.seconds if self.seconds else 0.0

    def company_seconds(self, p: float) -> float:
        return percentile([c.seconds for c in self.companies], p)

    def review_seconds(self, p: float) -> float:
        """Sync started → in review, the p-th percentile."""
        return percentile([c.in_review_at - c.started_at for c in self.companies], p)


def connect_companies(client: FlowClient, contract_rut: str, companies: list[CompanySync],
                      *, timeout: float, say: Callable[[str], None]) -> None:
    """Every company in invoicing and under the contract in accounting, its integration
    request approved and known to invoicing, its default accounts set (not measured)."""
    client.create_contract(contract_rut, CONTRACT_NAME)
    for c in companies:
        client.create_company(c.rut, c.name)
        c.company_id = client.add_company(contract_rut, c.rut, c.name)["id"]
        client.request_integration(c.rut, contract_rut)
    say(f"  {len(companies)} companies added; approving their integration requests")
    by_rut = {c.rut: c for c in companies}
    pending = wait_for(lambda: _pending_requests(client, contract_rut),
                       lambda found: set(found) >= set(by_rut), timeout=timeout,
                       what=f"the {len(companies)} integration requests to reach accounting")
    for rut, request_id in pending.items():
        client.approve(request_id, by_rut[rut].company_id)
    for c in companies:
        wait_for(partial(client.integration_status, c.rut),
                 lambda status: status["status"] == "approved", timeout=timeout,
                 what=f"invoicing to learn the approval of {c.rut}")
        client.put_settings(c.company_id, SETTINGS)
        if not client.integrations(c.company_id)[0]["can_connect"]:
            raise RuntimeError(f"{c.rut} cannot connect after setting the accounts: "
                               f"{client.integrations(c.company_id)}")


def _pending_requests(client: FlowClient, contract_rut: str) -> dict[str, str]:
    """Company RUT → id of its pending request, every page of them."""
    found: dict[str, str] = {}
    for offset in itertools.count(0, 500):
        page = client.call(client.accounting, "GET",
                           f"/v1/contracts/{contract_rut}/integration-requests",
                           params={"status": "pending", "offset": offset, "limit": 500})
        found.update((r["company_rut"], r["id"]) for r in page)
        if len(page) < 500:
            return found
    raise AssertionError("unreachable")


def close_month(invoicing_url: str, accounting_url: str, contract_rut: str,
                companies: list[CompanySync], *, size: Size, clients: int,
                timeout: float) -> MonthEnd:
    """The measured part: every sync started at once, reviewed and confirmed by
    ``clients`` concurrent clients; returns when every company's entries are posted."""
    clients = min(clients, len(companies))
    result = MonthEnd(size, clients, companies)
    stop = threading.Event()  # one client failed: the others stop too
    origin: list[float] = []
    ready = threading.Barrier(clients, action=lambda: origin.append(time.perf_counter()))
    apis = [FlowClient(invoicing_url, accounting_url, timeout=max(60.0, timeout),
                       auth=ContractToken(contract_rut, f"accountant-{i + 1}"))
            for i in range(clients)]
    calls = itertools.count()  # next() is atomic: every client's threads count here
    for api in apis:
        api.accounting.event_hooks["request"] = [lambda _: next(calls)]

    def accountant(i: int) -> None:
        try:
            ready.wait()
            _review_and_confirm(apis[i], companies[i::clients], origin[0], size.docs,
                                timeout, stop)
        except BaseException:
            stop.set()
            raise

    cpu_before = time.process_time()
    try:
        with ThreadPoolExecutor(clients, thread_name_prefix="accountant") as pool:
            for future in [pool.submit(accountant, i) for i in range(clients)]:
                future.result()
    finally:
        for api in apis:
            api.close()
    result.seconds = time.perf_counter() - origin[0]
    result.client_cpu_seconds = time.process_time() - cpu_before
    result.requests = next(calls)
    return result


def confirmed(in_review: dict, summary: dict) -> dict:
    """The sync as its confirm left it: the confirm answers once every page is posted,
    with the status and the posted, held and already-posted counts, so a client need not
    ask for the sync again (the expected count is the one it saw in review)."""
    return {**in_review, **summary}


def _review_and_confirm(api: FlowClient, mine: list[CompanySync], origin: float, docs: int,
                        timeout: float, stop: threading.Event) -> None:
    """Start the client's syncs; then each waits for its review (a long poll, as an open
    review screen would), and the client reviews and confirms them one at a time, in the
    order they come."""
    def now() -> float:
        return time.perf_counter() - origin

    for c in mine:
        c.started_at = now()
        c.sync_id = api.start_sync(c.company_id, MONTH_FROM.isoformat(),
                                   MONTH_TO.isoformat())["id"]
    desk = threading.Lock()  # one accountant reviews one company at a time

    def follow(c: CompanySync) -> None:
        try:
            state = _wait_for_review(api, c, now, timeout, stop)
            if state is None:
                return  # another company failed: stop
            c.in_review_at = now()
            with desk:
                listed = api.sync_documents(c.sync_id)  # what the review screen shows
                if len(listed) != docs:
                    raise PhaseFailed(f"{c.rut}: the review lists {len(listed)} documents "
                                      f"of the {docs} seeded")
                state = c.state = confirmed(state, api.confirm(c.sync_id))
            while not is_settled(state) and not stop.is_set():
                stop.wait(0.2)
                state = c.state = api.sync(c.sync_id)
            c.posted_at = now()
        except BaseException:
            stop.set()
            raise

    with ThreadPoolExecutor(len(mine), thread_name_prefix="review") as pool:
        for future in [pool.submit(follow, c) for c in mine]:
            future.result()


def _wait_for_review(api: FlowClient, c: CompanySync, now: Callable[[], float],
                     timeout: float, stop: threading.Event) -> dict | None:
    """The sync once in review (None if told to stop): each GET waits up to WAIT_SECONDS
    for it while it is still delivering, so a company costs a request when its sync
    moves on, or every WAIT_SECONDS, instead of several a second."""
    while not stop.is_set():
        state = c.state = api.sync(c.sync_id, wait=WAIT_SECONDS)
        if state["status"] == "in_review":
            return state
        if state["status"] in ("refused", "stalled", "confirming", "confirmed"):
            raise PhaseFailed(f"{c.rut}: the sync is {state['status']} before its review: "
                              f"{state}")
        if now() > timeout:
            raise TimeoutError(f"{c.rut} was not in review in {timeout:.0f}s: {state}")
    return None
