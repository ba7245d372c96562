"""Print a bearer token for development: `make token CONTRACTS=… COMPANIES=… ROLES=…`.

Signed with AUTH_SECRET, or with the development secret the services use when it is not
set. Example: export AUTH="Authorization: Bearer $(make -s token CONTRACTS=78000000-7)".
"""

import argparse
import os

from shared.http.auth import DEVELOPMENT_SECRET, mint_token
from shared.rut import canonical_rut


def _ruts(text: str) -> list[str]:
    return [canonical_rut(r) for r in text.replace(",", " ").split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", default="", help="contract-holder RUTs (accounting)")
    parser.add_argument("--companies", default="", help="company RUTs (invoicing)")
    parser.add_argument("--roles", default="", help="e.g. service (the worker's internal calls)")
    parser.add_argument("--sub", default="developer", help="who the token is for")
    parser.add_argument("--hours", type=float, default=8.0, help="how long it is valid")
    args = parser.parse_args()
    secret = os.environ.get("AUTH_SECRET") or DEVELOPMENT_SECRET
    print(mint_token(secret, args.sub, contracts=_ruts(args.contracts),
                     companies=_ruts(args.companies), roles=args.roles.replace(",", " ").split(),
                     ttl_seconds=int(args.hours * 3600)))


if __name__ == "__main__":
    main()
