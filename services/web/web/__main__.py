"""`python -m web serve [--host 127.0.0.1] [--port 8000]`: the web console."""

import argparse
import logging

import uvicorn

from web.app import create_app
from web.config import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the console")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s web %(levelname)s %(name)s: %(message)s")
    if settings.development:
        logging.getLogger("web").warning(
            "development mode: the sign-in page mints tokens for any RUT typed in; never "
            "expose this console outside a developer's machine")
    uvicorn.run(create_app(settings), host=args.host, port=args.port,
                log_level=settings.log_level.lower(), access_log=False,
                proxy_headers=False)


if __name__ == "__main__":
    main()
