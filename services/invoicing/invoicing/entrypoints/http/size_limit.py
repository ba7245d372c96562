"""File imports have a limit of their own, larger than other bodies', and a message of their
own: shared.http.body_limit applies both (the bootstrap says which paths)."""

IMPORT_PATH_SUFFIX = "/documents/import"


def too_large_detail(limit: int) -> str:
    return (f"The file is larger than the import limit of {limit // (1024 * 1024)} MB "
            f"({limit} bytes); nothing was imported. Split it (an RCV month at a time, or "
            "fewer DTEs per EnvioDTE) or import it with the CLI: python -m invoicing import.")
