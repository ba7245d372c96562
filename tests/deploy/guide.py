"""Read the curl commands of a markdown guide and run them, following its conventions.

Only ```sh blocks are read. In them, a command starts at a line beginning with `curl`
and continues over lines ending in `\\` (or inside an open single-quoted JSON body). The
comment lines right under a command are its annotations (docs/partners.md explains them
to readers):

    # save NAME = PATH        remember a value of the JSON response as {NAME}
    # until PATH == VALUE     repeat the command until the response has VALUE (JSON)
    # expect STATUS           the command must fail with that HTTP status

A PATH is jq-like: `.id`, `.[0].id`, `.items[0].id`, `.items[document.folio=1001].id`.
{NAME} placeholders in later commands are replaced by the saved values; shell variables
($INVOICING, $ACCOUNTING, $AUTH) are left to bash, which runs each command as written.
"""

import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
SAVE = re.compile(r"^#\s*save\s+(\w+)\s*=\s*(\S+)\s*$")
UNTIL = re.compile(r"^#\s*until\s+(\S+)\s*==\s*(.+?)\s*$")
EXPECT = re.compile(r"^#\s*expect\s+(\d{3})\s*$")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
STEP = re.compile(r"([A-Za-z_][\w-]*)|\[(\d+)\]|\[([\w.]+)=([^\]]*)\]|\.")

# Prints the HTTP status on a last line of its own, so the runner can check it.
CURL_WITH_STATUS = "curl() { command curl --write-out '\\n%{http_code}' \"$@\"; }\n"


@dataclass
class Command:
    text: str
    line: int
    saves: dict[str, str] = field(default_factory=dict)
    until: tuple[str, Any] | None = None
    expect: int | None = None


def commands(markdown: str) -> list[Command]:
    found: list[Command] = []
    for block in BLOCK.finditer(markdown):
        first_line = markdown.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.startswith("curl "):
                i += 1
                continue
            start = i
            text = [line]
            while _continues("\n".join(text)):
                i += 1
                text.append(lines[i])
            command = Command("\n".join(text), first_line + start)
            i += 1
            while i < len(lines) and lines[i].startswith("#"):
                _annotate(command, lines[i])
                i += 1
            found.append(command)
    return found


def _continues(text: str) -> bool:
    return text.endswith("\\") or text.count("'") % 2 == 1


def _annotate(command: Command, comment: str) -> None:
    if m := SAVE.match(comment):
        command.saves[m.group(1)] = m.group(2)
    elif m := UNTIL.match(comment):
        command.until = (m.group(1), json.loads(m.group(2)))
    elif m := EXPECT.match(comment):
        command.expect = int(m.group(1))
    else:
        raise ValueError(f"line {command.line}: unknown annotation {comment!r}")


def lookup(value: Any, path: str) -> Any:
    """The value at a jq-like path, or None where it does not exist (yet)."""
    if not path.startswith("."):
        raise ValueError(f"a path starts with '.': {path!r}")
    for key, index, where, equals in STEP.findall(path):
        if value is None:
            return None
        if key:
            value = value.get(key) if isinstance(value, dict) else None
        elif index:
            n = int(index)
            value = value[n] if isinstance(value, list) and n < len(value) else None
        elif where:
            items = value if isinstance(value, list) else []
            value = next((item for item in items
                          if str(lookup(item, "." + where)) == equals), None)
    return value


@dataclass
class Result:
    status: int
    body: Any


def run(command: Command, env: dict[str, str], saved: dict[str, str]) -> Result:
    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in saved:
            raise AssertionError(f"line {command.line}: {{{name}}} is used before a "
                                 f"'# save {name} = …' comment defines it")
        return saved[name]

    script = PLACEHOLDER.sub(substitute, command.text)
    done = subprocess.run(["bash", "-c", CURL_WITH_STATUS + script], env=env,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"line {command.line}: curl failed ({done.returncode}): "
                             f"{done.stderr}\n{script}")
    body, _, status = done.stdout.rpartition("\n")
    return Result(int(status), json.loads(body) if body.strip() else None)


def run_all(markdown: str, env: dict[str, str], *, timeout: float = 60.0) -> dict[str, str]:
    """Run every command in order; returns the saved values. Fails on the first surprise."""
    saved: dict[str, str] = {}
    for command in commands(markdown):
        deadline = time.monotonic() + timeout
        while True:
            result = run(command, env, saved)
            if command.expect is not None:
                assert result.status == command.expect, (
                    f"line {command.line}: expected {command.expect}, got {result.status}: "
                    f"{result.body}\n{command.text}")
                break
            assert result.status < 400, (
                f"line {command.line}: {result.status}: {result.body}\n{command.text}")
            if command.until is None:
                break
            path, wanted = command.until
            if lookup(result.body, path) == wanted:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"line {command.line}: {path} never became {wanted!r} "
                                     f"in {timeout:.0f}s; last response: {result.body}")
            time.sleep(0.5)
        for name, path in command.saves.items():
            value = lookup(result.body, path)
            assert value is not None, (f"line {command.line}: nothing at {path} to save as "
                                       f"{{{name}}}: {result.body}")
            saved[name] = str(value)
    return saved
