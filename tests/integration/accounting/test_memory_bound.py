"""A caller cannot grow accounting's memory with huge values (issue 11, item 3).

Reproduction from the issue: requests to POST /v1/contracts with a RUT padded by ~0.9 MB
of spaces took the process from 118 MB to over 1 GB, and it stayed there (the RUT cache
was keyed on the raw string; the value was echoed twice in the error). Here accounting
runs as a real process (``python -m accounting serve``, as tests/support/stacks.py starts
it) and its resident memory is read from /proc before and after 100 such requests: a
bound on memory, not a timing.
"""

from pathlib import Path

import httpx

from deploy.local.auth import GrantingAuth
from deploy.local.stack import Stack
from tests.integration.accounting.conftest import new_rut
from tests.support.stacks import free_port

REQUESTS = 100
PADDING = 900_000  # characters of spaces around a valid RUT: under the 1 MiB body limit
MAX_GROWTH_KB = 20 * 1024
SHORT_ANSWER = 2_000


def resident_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


async def test_padded_ruts_are_refused_without_growing_the_process(infra, topology,
                                                                   tmp_path):
    stack = Stack(
        invoicing_database_url="sqlite:///unused", amqp_url=infra.amqp_url,
        accounting_database_url=await infra.create_database("memory_accounting"),
        accounting_port=free_port(), exchange=topology.exchange,
        queue_prefix=topology.queue_prefix, log_dir=tmp_path,
        amqp_urls=infra.users(topology).urls,  # the run's users, never made again here
        extra_env={"DELIVERY_LIMIT": str(topology.delivery_limit)})
    [accounting] = stack.services = [s for s in stack.services if s.name == "accounting"]
    stack.migrate()
    stack.start()
    try:
        async with httpx.AsyncClient(base_url=accounting.url, auth=GrantingAuth(),
                                     timeout=30) as client:
            warm = await client.post("/v1/contracts", json={"rut": new_rut(), "name": "W"})
            assert warm.status_code == 201, warm.text
            # One refusal first, so what a first 422 loads once is in the baseline.
            await client.post("/v1/contracts", json={"rut": " " * PADDING + new_rut(),
                                                     "name": "W"})
            before = resident_kb(accounting.process.pid)
            for i in range(REQUESTS):
                # A different padding each time: a cache keyed on the raw text would keep
                # every one of them.
                padded = " " * (PADDING + i) + new_rut() + " " * i
                response = await client.post("/v1/contracts",
                                             json={"rut": padded, "name": "Contadores"})
                assert response.status_code == 422, response.text[:300]
                assert len(response.content) < SHORT_ANSWER
            after = resident_kb(accounting.process.pid)
    finally:
        stack.stop()
    assert after - before < MAX_GROWTH_KB, (
        f"resident memory grew from {before // 1024} MB to {after // 1024} MB")
