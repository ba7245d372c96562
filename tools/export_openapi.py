"""Write docs/openapi/invoicing.json and docs/openapi/accounting.json from the apps.

Each app is built the way the tests build it (no broker tasks, an in-memory database that
is never opened), so the documents are exactly what `/openapi.json` serves.

    python -m tools.export_openapi [--check]
"""

import json
from pathlib import Path

from tools.generated import REPO, main

OPENAPI_DIR = REPO / "docs" / "openapi"
# Never opened: building the app only creates an engine.
DATABASE_URL = "sqlite:///:memory:"


def invoicing_schema() -> dict:
    from invoicing.bootstrap import build_app
    from invoicing.config import Settings

    return build_app(Settings(database_url=DATABASE_URL), background=False).openapi()


def accounting_schema() -> dict:
    from accounting.bootstrap import build_app
    from accounting.config import Settings

    return build_app(Settings(database_url=DATABASE_URL), background=False).openapi()


SCHEMAS = {"invoicing": invoicing_schema, "accounting": accounting_schema}


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def outputs() -> dict[Path, str]:
    return {OPENAPI_DIR / f"{name}.json": render(build()) for name, build in SCHEMAS.items()}


if __name__ == "__main__":
    raise SystemExit(main(outputs, what="the OpenAPI documents", make_target="docs"))
