"""The simulation's summary: pure arithmetic over what the drive measured, and its text."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Summary:
    departments: int
    projects: int
    web_processes: int
    worker_processes: int
    wall_seconds: float  # the year's drive, from the launch to the last step (setup not counted)
    setup_seconds: float
    timings: dict[str, list[float]]  # command kind → seconds each
    refused: dict[str, int]
    jobs_done: int
    instances: dict[str, int]  # status → count
    database_bytes: int
    peak_mib: dict[str, float]  # process → peak resident memory
    stuck_steps: int
    coverage: list[str] = field(default_factory=list)

    @property
    def commands(self) -> int:
        return sum(len(v) for v in self.timings.values())

    @property
    def commands_per_second(self) -> float:
        return self.commands / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def jobs_per_second(self) -> float:
        return self.jobs_done / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def ms_per_project(self) -> float:
        return 1000 * self.wall_seconds / self.projects if self.projects else 0.0

    def lines(self) -> list[str]:
        out = [f"simulate: {self.projects:,} projects in {self.departments:,} departments, {self.web_processes} web "
               f"process(es), {self.worker_processes} worker process(es)",
               f"  the year: {self.wall_seconds:.1f} s wall clock (setup {self.setup_seconds:.1f} s before it), "
               f"{self.ms_per_project:.1f} ms per project",
               f"  commands: {self.commands:,} ({self.commands_per_second:.1f} /s); jobs: {self.jobs_done:,} "
               f"({self.jobs_per_second:.1f} /s)",
               "  instances: " + ", ".join(f"{n:,} {s}" for s, n in sorted(self.instances.items())),
               f"  database: {self.database_bytes / 2**20:.1f} MiB",
               "  peak memory: " + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in self.peak_mib.items()),
               f"  {'command kind':<32} {'n':>7} {'p50 ms':>8} {'p95 ms':>8}"]
        for kind in sorted(self.timings):
            values = self.timings[kind]
            out.append(f"  {kind:<32} {len(values):>7,} {1000 * percentile(values, 0.5):>8.1f} "
                       f"{1000 * percentile(values, 0.95):>8.1f}")
        if self.refused:
            out.append("  refused: " + ", ".join(f"{k} ×{n}" for k, n in sorted(self.refused.items())))
        if self.stuck_steps:
            out.append(f"  steps where the workers did not finish in time: {self.stuck_steps}")
        return out + self.coverage
