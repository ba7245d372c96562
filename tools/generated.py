"""Write a generated file, or check that the committed one is current."""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(outputs: Callable[[], dict[Path, str]], *, what: str, make_target: str,
         argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Generate {what} from the code.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if args.check:
            if current != text:
                stale.append(path)
        elif current != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)}")
        else:
            print(f"{path.relative_to(REPO)} is current")
    if stale:
        names = ", ".join(str(p.relative_to(REPO)) for p in stale)
        print(f"{names} out of date with the code: run `make {make_target}`", file=sys.stderr)
        return 1
    return 0
