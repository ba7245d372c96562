"""Watching the stack's processes: peak memory, and where their CPU time goes (py-spy)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found += [int(c) for c in text]
    except (FileNotFoundError, PermissionError):
        pass
    return found


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _stat_fields(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


# The servers the flow leans on, by process name, and the other name a child may carry.
SERVERS = {"PostgreSQL": ("postgres",), "RabbitMQ": ("beam.smp", "erl_child_setup",
                                                    "inet_gethost", "epmd")}


def _postgres_database(pid: int) -> str | None:
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return postgres_database(title)


def postgres_database(title: str) -> str | None:
    """The database a PostgreSQL backend serves, from its process title ("postgres:
    15/main: user db 127.0.0.1(5432) idle"); None for the postmaster and the background
    processes (checkpointer, walwriter …)."""
    if not title.startswith("postgres: "):
        return None
    words = title.removeprefix("postgres: ").split()
    if words and words[0].endswith(":"):  # the cluster's name, on Debian's builds
        words = words[1:]
    is_backend = len(words) >= 3 and (words[2].endswith(")") or words[2] == "[local]")
    return words[1] if is_backend else None


def server_cpu_seconds(databases: Collection[str] | None = None) -> dict[str, float]:
    """CPU time each server has used so far, all its processes together. PostgreSQL runs a
    process per connection: the postmaster's reaped-children time counts those that ended.

    With ``databases``, PostgreSQL is the connections to those databases and the shared
    background processes only: on a server others use too, their queries are theirs (and
    so is what ended connections used, which cannot be told apart)."""
    used = dict.fromkeys(SERVERS, 0.0)
    names = {comm: server for server, comms in SERVERS.items() for comm in comms}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        server = names.get(_comm(int(entry.name)))
        if server is None:
            continue
        fields = _stat_fields(int(entry.name))
        if not fields:
            continue
        ticks = int(fields[11]) + int(fields[12])
        if server == "PostgreSQL" and databases is not None:
            database = _postgres_database(int(entry.name))
            if database is not None and database not in databases:
                continue
        elif server == "PostgreSQL" and _comm(int(fields[1])) != "postgres":  # the postmaster
            ticks += int(fields[13]) + int(fields[14])
        used[server] += ticks / _TICKS
    return used


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (every CPU, every process) so far."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks[:8]) - idle) / _TICKS


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


@dataclass
class ProcessWatch:
    """Samples each named process tree's RSS (its peak is max(samples, the kernel's
    VmHWM)), and counts the CPU time each used while the block ran; also the machine's
    load average, since other work on a shared machine slows every figure down."""

    pids: dict[str, int]
    interval: float = 0.2
    databases: Collection[str] | None = None  # PostgreSQL: only these (server_cpu_seconds)
    peak_kb: Counter = field(default_factory=Counter)
    start_kb: dict[str, int] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at the start and the end
    # CPU time since the start of each process, of PostgreSQL and RabbitMQ, and of the whole
    # machine ("machine"), at the end of each phase marked and at the end ("end").
    marks: dict[str, dict[str, float]] = field(default_factory=dict)
    _cpu_start: dict[str, float] = field(default_factory=dict)
    _servers_start: dict[str, float] = field(default_factory=dict)
    _machine_start: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "ProcessWatch":
        self.start_kb = {name: self._rss(pid) for name, pid in self.pids.items()}
        self._cpu_start = {name: self._cpu(pid) for name, pid in self.pids.items()}
        self.load = (os.getloadavg()[0], 0.0)
        self._servers_start = server_cpu_seconds(self.databases)
        self._machine_start = machine_busy_seconds()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._sample()
        self.load = (self.load[0], os.getloadavg()[0])
        self.mark("end")
        for name, pid in self.pids.items():
            hwm = sum(_status_kb(p, "VmHWM") for p in tree(pid))
            self.peak_kb[name] = max(self.peak_kb[name], hwm)
            self.cpu_seconds[name] = self.marks["end"][name]

    def mark(self, phase: str) -> None:
        """Note the CPU time used since the start, at the end of ``phase``."""
        used = {name: self._cpu(pid) - self._cpu_start[name] for name, pid in self.pids.items()}
        used.update({name: seconds - self._servers_start[name]
                     for name, seconds in server_cpu_seconds(self.databases).items()})
        used["machine"] = machine_busy_seconds() - self._machine_start
        self.marks[phase] = used

    @staticmethod
    def _cpu(pid: int) -> float:
        return sum(_cpu_seconds(p) for p in tree(pid))

    @staticmethod
    def _rss(pid: int) -> int:
        return sum(_status_kb(p, "VmRSS") for p in tree(pid))

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            self.peak_kb[name] = max(self.peak_kb[name], self._rss(pid))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


@dataclass
class Profiler:
    """py-spy record on each process (sampling, on-CPU only) while the block runs;
    does nothing when out_dir is None."""

    pids: dict[str, int]
    out_dir: Path | None
    rate: int = 100
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __enter__(self) -> "Profiler":
        if self.out_dir is None:
            return self
        exe = py_spy()
        if exe is None:
            raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy "
                             "(it is not a project dependency)")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            self._procs[name] = subprocess.Popen(
                [exe, "record", "-p", str(pid), "-r", str(self.rate), "-f", "raw",
                 "-o", str(self.out_dir / f"{name}.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=open(self.out_dir / f"{name}.err", "wb"),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs.values():
            proc.send_signal(signal.SIGINT)
        for proc in self._procs.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


_LINE = re.compile(r" \(([^()]*?):\d+\)$")


def _frame_name(frame: str) -> str:
    """'publish (aio_pika/exchange.py:120)' → 'publish (aio_pika/exchange.py)'."""
    frame = _LINE.sub(r" (\1)", frame.strip())
    frame = re.sub(r"\S*/site-packages/", "", frame)
    frame = re.sub(r"\S*/(services/[\w-]+/|shared/)", "", frame)
    return re.sub(r"/usr/lib/python3\.\d+/", "", frame)


PROJECT = ("invoicing/", "accounting/", "integration_worker/", "shared/")
_ENTRY_POINTS = ("cli.py", "__main__.py", "bootstrap.py")


def _package(frame: str) -> str | None:
    """The top-level package or module of a frame's file; None for the standard library."""
    path = frame.rpartition(" (")[2].rstrip(")")
    top = path.split("/")[0].removesuffix(".py")
    if top.startswith("<") or top in sys.stdlib_module_names:
        return None
    return top


@dataclass
class Summary:
    samples: int = 0
    by_self: list[tuple[str, int]] = field(default_factory=list)
    project: list[tuple[str, int]] = field(default_factory=list)  # inclusive
    by_library: list[tuple[str, int]] = field(default_factory=list)


def summarise(path: Path, top: int = 15) -> Summary:
    """Top functions by self samples; project functions by inclusive samples; and each
    sample charged to the innermost third-party or project package on its stack (so a
    socket write made by aiormq counts for aiormq, not asyncio)."""
    self_time: Counter = Counter()
    inclusive: Counter = Counter()
    libraries: Counter = Counter()
    total = 0
    if not path.exists():
        return Summary()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame_name(f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ")
                  and not f.startswith("thread ")]
        if not frames:
            continue
        self_time[frames[-1]] += n
        for f in set(frames):
            if f.split(" (")[-1].startswith(PROJECT) and not f.rstrip(")").endswith(
                    _ENTRY_POINTS):
                inclusive[f] += n
        owner = next((p for p in map(_package, reversed(frames)) if p), None)
        libraries[owner or "stdlib: " + frames[-1].rpartition(" (")[2].rstrip(")")] += n
    return Summary(total, self_time.most_common(top), inclusive.most_common(top),
                   libraries.most_common(top))
