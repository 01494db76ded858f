"""CPU seconds of groups of processes, read from /proc: a cluster node's process tree, PostgreSQL,
Redis; what `bench_cluster` needs to say where a crawl's CPU went (Linux only)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    comm: str
    parent: int
    own: float  # CPU seconds of the process itself (user + system)
    reaped: float  # CPU seconds of the children it has waited for


def read_stat(pid: int) -> ProcStat | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:  # exited meanwhile
        return None
    # The command name sits in parentheses and may hold spaces: split after the last one.
    comm = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(v) for v in rest[11:15])
    return ProcStat(pid, comm, int(rest[1]), (utime + stime) / TICK, (cutime + cstime) / TICK)


def processes() -> list[ProcStat]:
    found = (read_stat(int(name)) for name in os.listdir("/proc") if name.isdigit())
    return [p for p in found if p is not None]


def cpu_of(match: Callable[[ProcStat], bool]) -> float:
    """CPU seconds of the live matching processes and of the children they have reaped: for a
    server whose parent reaps its workers (PostgreSQL's postmaster) a delta of two readings is
    the CPU the server spent between them."""
    return sum(p.own + p.reaped for p in processes() if match(p))


@dataclass
class TreeCpu:
    """CPU seconds of every process descended from some roots (a node's `marsad run`: its crawl
    children, which run in sessions of their own, and their page workers), sampled while they
    run. A process is known by its ancestry while it and its parents live, and remembered after;
    each one's last reading is kept, so one that exited counts up to its last sample (the tail
    after it, under one sampling interval, is lost) whoever reaped it, or nobody."""

    roots: dict[int, int]  # pid -> node number
    member: dict[int, int] = field(default_factory=dict)  # pid -> node number
    last: dict[int, float] = field(default_factory=dict)  # pid -> own CPU seconds

    def sample(self) -> None:
        live = {p.pid: p for p in processes()}
        self.member.update((pid, node) for pid, node in self.roots.items() if pid in live)

        def node_of(pid: int) -> int | None:
            seen = []
            while pid in live and pid not in self.member and pid > 1:
                seen.append(pid)
                pid = live[pid].parent
            node = self.member.get(pid)
            if node is not None:
                self.member.update((s, node) for s in seen)
            return node

        for pid, stat in live.items():
            if node_of(pid) is not None:
                self.last[pid] = stat.own

    def by_node(self) -> dict[int, float]:
        out = dict.fromkeys(self.roots.values(), 0.0)
        for pid, own in self.last.items():
            out[self.member[pid]] += own
        return out
