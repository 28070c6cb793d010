"""Readings from /proc: CPU time of a process group, resident memory, and the machine's CPU use
by everything else (to detect, and mark, runs disturbed by other load)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    # comm may hold spaces and parentheses: the fields after it follow the last ')'.
    close = text.rindex(")")
    return [text[text.index("(") + 1:close]] + text[close + 2:].split()


def all_processes() -> dict[int, tuple[str, int, float, int]]:
    """pid -> (comm, session id, CPU seconds user+system, start time) for every visible process."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if fields is None:
            continue
        # fields[k] is stat field k+2: [4]=session, [12]=utime, [13]=stime, [20]=starttime
        comm = fields[0].split("/")[0]  # kernel workers rename themselves per work item
        out[int(name)] = (comm, int(fields[4]), (int(fields[12]) + int(fields[13])) / TICK, int(fields[20]))
    return out


def session_pids(sid: int) -> list[int]:
    return [pid for pid, (_, session, _, _) in all_processes().items() if session == sid]


def session_cpu(sid: int) -> float:
    """CPU seconds (user+system, all threads) of the live processes of a session."""
    return sum(cpu for _, session, cpu, _ in all_processes().values() if session == sid)


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


@dataclass
class CpuTimes:
    """Busy seconds per CPU (user+nice+system; irq/softirq left out, as our own loopback
    traffic lands there) and steal (time other virtual machines took)."""

    busy: dict[str, float]
    steal: float


def cpu_times() -> CpuTimes:
    busy, steal = {}, 0.0
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *values = line.split()
            v = [int(x) for x in values]
            busy[name] = (v[0] + v[1] + v[2]) / TICK
            if name == "cpu":
                steal = v[7] / TICK if len(v) > 7 else 0.0
    return CpuTimes(busy, steal)


@dataclass
class LoadSample:
    """What else used the CPU during a window, in percent of one core."""

    seconds: float
    other_pct: float  # all CPUs' busy time minus ours
    steal_pct: float
    loadavg_before: str
    loadavg_after: str
    top_others: list[tuple[str, float]] = field(default_factory=list)  # (comm, % of a core)

    def loaded(self, threshold_pct: float) -> bool:
        return self.other_pct + self.steal_pct > threshold_pct

    def describe(self) -> str:
        tops = ", ".join(f"{name} {pct:.0f}%" for name, pct in self.top_others) or "none visible"
        return (f"other CPU use {self.other_pct:.0f}% of a core (steal {self.steal_pct:.0f}%), "
                f"loadavg {self.loadavg_before} -> {self.loadavg_after}; busiest others: {tops}")


class LoadWatch:
    """Start before a window, finish after it; `ours` are the sessions (server, load generator)
    whose CPU time is not counted as other load."""

    def __init__(self, our_sids: set[int]):
        self.our_sids = set(our_sids)
        self._procs = all_processes()
        self._cpu = cpu_times()
        self._load = loadavg()
        self._t = os.times().elapsed

    def finish(self, extra_ours_seconds: float = 0.0) -> LoadSample:
        """`extra_ours_seconds`: CPU time of our processes that ended inside the window (wrk)."""
        procs, cpu, elapsed = all_processes(), cpu_times(), os.times().elapsed - self._t
        elapsed = max(elapsed, 1e-6)
        ours, others = 0.0, []
        for pid, (comm, sid, seconds, start) in procs.items():
            before = self._procs.get(pid)
            delta = seconds - (before[2] if before and before[3] == start else 0.0)
            if sid in self.our_sids or pid == os.getpid():
                ours += delta
            elif delta > 0:
                others.append((comm, delta))
        busy = cpu.busy["cpu"] - self._cpu.busy["cpu"]
        other = max(0.0, busy - ours - extra_ours_seconds)
        others.sort(key=lambda x: -x[1])
        merged: dict[str, float] = {}
        for comm, delta in others:
            merged[comm] = merged.get(comm, 0.0) + delta
        top = sorted(merged.items(), key=lambda x: -x[1])[:3]
        return LoadSample(
            seconds=elapsed,
            other_pct=100 * other / elapsed,
            steal_pct=100 * (cpu.steal - self._cpu.steal) / elapsed,
            loadavg_before=self._load,
            loadavg_after=loadavg(),
            top_others=[(c, 100 * d / elapsed) for c, d in top if 100 * d / elapsed >= 1],
        )


def sample_load(our_sids: set[int], seconds: float = 1.0) -> LoadSample:
    import time

    watch = LoadWatch(our_sids)
    time.sleep(seconds)
    return watch.finish()
