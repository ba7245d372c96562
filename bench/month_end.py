"""Month end: one accounting firm's contract, many companies with a month of documents
each, every sync started at once and reviewed and confirmed by a few concurrent clients
through the public API, as the accountants' front-ends would.

The clients are threads of this process, each with its own HTTP connections and a bearer
token scoped to the contract alone (what an accountant's front-end holds). Each takes
every n-th company: it starts their syncs, then goes round them: a sync in review is
reviewed (its documents listed, as the review screen shows them) and confirmed, and a
company is done when its sync is confirmed with every document settled.
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


def poll_interval(elapsed: float) -> float:
    """Seconds a client waits between rounds of its syncs: 5% of the time gone, between
    0.2 s and 1 s. So the per-company figures are within about 5% (and at least 0.2 s) of
    the truth, and 200 waiting syncs do not turn into a storm of GETs on accounting."""
    return min(1.0, max(0.2, elapsed / 20))


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
    calls = [0] * clients
    for i, api in enumerate(apis):
        api.accounting.event_hooks["request"] = [lambda _, i=i: calls.__setitem__(
            i, calls[i] + 1)]

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
    result.requests = sum(calls)
    return result


def _review_and_confirm(api: FlowClient, mine: list[CompanySync], origin: float, docs: int,
                        timeout: float, stop: threading.Event) -> None:
    def now() -> float:
        return time.perf_counter() - origin

    for c in mine:
        c.started_at = now()
        c.sync_id = api.start_sync(c.company_id, MONTH_FROM.isoformat(),
                                   MONTH_TO.isoformat())["id"]
    waiting = list(mine)
    while waiting and not stop.is_set():
        for c in list(waiting):
            state = c.state = api.sync(c.sync_id)
            if state["status"] == "in_review":
                c.in_review_at = now()
                listed = api.sync_documents(c.sync_id)  # what the review screen shows
                if len(listed) != docs:
                    raise PhaseFailed(f"{c.rut}: the review lists {len(listed)} documents "
                                      f"of the {docs} seeded")
                api.confirm(c.sync_id)
                state = c.state = api.sync(c.sync_id)
            if is_settled(state):
                c.posted_at = now()
                waiting.remove(c)
            elif state["status"] in ("refused", "stalled"):
                raise PhaseFailed(f"{c.rut}: the sync is {state['status']}: {state}")
        if waiting and now() > timeout:
            raise TimeoutError(f"{len(waiting)} of {len(mine)} companies of this client were "
                               f"not all posted in {timeout:.0f}s, e.g. {waiting[0].state}")
        if waiting:
            stop.wait(poll_interval(now()))
