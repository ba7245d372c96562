"""Print a bearer token for development: `make token CONTRACTS=… COMPANIES=… ROLES=…`.

Signed as the services verify (deploy/local/auth.py, ``Signer``): with AUTH_SECRET, or the
development secret when ENVIRONMENT=development (which `make token` sets) and AUTH_SECRET
is not set. Example: export AUTH="Authorization: Bearer $(make -s token CONTRACTS=78000000-7)".
"""

import argparse
import os
import sys

from deploy.local.auth import Signer
from shared.http.auth import DEFAULT_MAX_LIFETIME
from shared.rut import canonical_rut
from shared.settings import SettingsError


def _ruts(text: str) -> list[str]:
    return [canonical_rut(r) for r in text.replace(",", " ").split()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", default="", help="contract-holder RUTs (accounting)")
    parser.add_argument("--companies", default="", help="company RUTs (invoicing)")
    parser.add_argument("--roles", default="", help="e.g. operator (the dead-letter API)")
    parser.add_argument("--sub", default="developer", help="who the token is for")
    parser.add_argument("--hours", type=float, default=8.0, help="how long it is valid")
    args = parser.parse_args()
    limit = int(os.environ.get("AUTH_MAX_TOKEN_LIFETIME") or DEFAULT_MAX_LIFETIME)
    ttl = int(args.hours * 3600)
    if not 0 < ttl <= limit:
        parser.error(f"--hours: between 0 and {limit / 3600:g} (AUTH_MAX_TOKEN_LIFETIME); the "
                     "services refuse a token that lives longer")
    try:
        signer = Signer.from_environment()
    except SettingsError as error:
        print(f"make token: {error}", file=sys.stderr)
        return 2
    print(signer.mint(args.sub, contracts=_ruts(args.contracts),
                      companies=_ruts(args.companies),
                      roles=args.roles.replace(",", " ").split(), ttl_seconds=ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
