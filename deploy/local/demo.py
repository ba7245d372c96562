"""`make demo`: the whole flow with sample data, printed step by step.

Uses the services on :8001/:8002 if they answer; otherwise starts its own stack on the
embedded SQLite default (fresh files under var/demo/) and stops it at the end.
"""

import shutil
import sys

import httpx

from deploy.local.client import FlowClient
from deploy.local.run import broker_reachable, create_broker_users, stack_from_environment
from deploy.local.scenario import MONTH_FROM, MONTH_TO, run_scenario
from deploy.local.stack import REPO, Stack
from shared.redaction import redact_url
from tools.cli import console, trial_balance_table

INVOICING_URL, ACCOUNTING_URL = "http://127.0.0.1:8001", "http://127.0.0.1:8002"


def services_running() -> bool:
    try:
        return all(httpx.get(f"{url}/readyz", timeout=2).status_code == 200
                   for url in (INVOICING_URL, ACCOUNTING_URL))
    except httpx.HTTPError:
        return False


def demo_stack() -> Stack:
    folder = REPO / "var" / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    return stack_from_environment(folder, log_dir=folder / "logs")


def main() -> int:
    stack = None
    if services_running():
        print("Using the services already running on :8001 and :8002.")
    else:
        stack = demo_stack()
        if not broker_reachable(stack.amqp_url):
            print(f"RabbitMQ is not reachable at {redact_url(stack.amqp_url)}: start it "
                  "(`rabbitmq-server -detached`) or set AMQP_URL.", file=sys.stderr)
            return 1
        if not create_broker_users(stack):
            return 1
        print("Starting invoicing, accounting and the worker on SQLite (var/demo/) …")
        stack.migrate()
        stack.start()
    client = FlowClient(INVOICING_URL if stack is None else stack.invoicing_url,
                        ACCOUNTING_URL if stack is None else stack.accounting_url)
    try:
        out = run_scenario(client, say=lambda text: print(text, flush=True))
    finally:
        client.close()
        if stack is not None:
            stack.stop()
    s = out.confirm_summary
    print(f"\nFirst sync: {s['posted']} posted, {s['held']} held, "
          f"{s['already_posted']} already posted.")
    again = out.second_confirm_summary
    print(f"Second sync of the same month: {again['posted']} posted, "
          f"{again['already_posted']} already posted.")
    console.print(trial_balance_table(out.trial_balance,
                                      f"Balance de comprobación {MONTH_FROM} … {MONTH_TO}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
