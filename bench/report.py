"""Interleaved rounds over every target, the table, and the checks that decide the exit code."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import replace

from load import Result, measure
from plans import Check
from targets import Target

HELLO, HEALTHZ = "hello world (Starlette, GET /)", "hello world (GET /healthz)"
P99_LIMIT_MS = 50.0
DEEP_MARGIN = 0.8  # a deep page serves at least this share of its first page's rate


def measure_all(
    bases: dict[str, str], targets: Sequence[Target], a: argparse.Namespace
) -> dict[str, Result]:
    """Round-robin over the targets, so that a burst of other work on the machine hits them all
    alike; per target the median round by req/s, with every round's errors added up."""
    runs: dict[str, list[Result]] = {t.name: [] for t in targets}
    for n in range(1, max(1, a.rounds) + 1):
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"round {n} of {a.rounds} (load average before: {load})", flush=True)
        for target in targets:
            runs[target.name].append(run_once(bases, target, a, a.duration))
    return {name: _median(results) for name, results in runs.items()}


def run_once(
    bases: dict[str, str], target: Target, a: argparse.Namespace, seconds: float
) -> Result:
    return measure(
        bases[target.server] + target.path,
        target.headers,
        connections=a.connections,
        duration_s=seconds,
        warmup_s=a.warmup,
        requests=target.requests,
    )


def _median(results: list[Result]) -> Result:
    middle = sorted(results, key=lambda r: r.requests_per_s)[len(results) // 2]
    return replace(
        middle,
        requests=sum(r.requests for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        unexpected=sum(r.unexpected for r in results),
    )


def _ratio(results: dict[str, Result], name: str, anchor: str) -> float:
    base = results[anchor].requests_per_s
    return results[name].requests_per_s / base if base else 0.0


def list_checks(targets: Sequence[Target], results: dict[str, Result], floor: float) -> list[Check]:
    """Each list serves at least `floor` x the hello world with p99 within P99_LIMIT_MS, and a
    deep page keeps up with its first page."""
    checks: list[Check] = []
    for target in (t for t in targets if t.kind == "list"):
        r, ratio = results[target.name], _ratio(results, target.name, HELLO)
        problem = None if ratio >= floor else f"{ratio:.3f}x hello"
        checks.append(Check(f"{target.name} >= {floor}x hello ({ratio:.3f}x)", problem))
        problem = None if r.p99_ms <= P99_LIMIT_MS else f"p99 {r.p99_ms:.1f} ms"
        checks.append(Check(f"{target.name} p99 <= {P99_LIMIT_MS:g} ms", problem))
        if target.deep_of is not None:
            share = _ratio(results, target.name, target.deep_of)
            problem = None if share >= DEEP_MARGIN else f"{share:.2f}x the first page"
            name = f"{target.name} >= {DEEP_MARGIN}x first page ({share:.2f}x)"
            checks.append(Check(name, problem))
    return checks


def print_table(targets: Sequence[Target], results: dict[str, Result]) -> None:
    width = max(len(t.name) for t in targets)
    print(
        f"\n{'endpoint':<{width}}  {'req/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}"
        f"  {'x hello':>8}  {'x healthz':>9}"
    )
    for target in targets:
        r = results[target.name]
        print(
            f"{target.name:<{width}}  {r.requests_per_s:>9.1f}  {r.p50_ms:>8.2f}  {r.p99_ms:>8.2f}"
            f"  {_ratio(results, target.name, HELLO):>8.3f}"
            f"  {_ratio(results, target.name, HEALTHZ):>9.3f}"
        )


def verdict(
    checks: Sequence[Check],
    always: Sequence[Check],
    results: dict[str, Result],
    strict: bool,
    strict_from: int,
) -> int:
    """`checks` bind from `strict_from` sessions on (below, they only warn); `always` bind in
    every run, as do errors and unexpected statuses under load."""
    print()
    failed = False
    judged = [*((c, strict and c.binding) for c in checks), *((c, True) for c in always)]
    for check, binding in judged:
        fails = check.problem is not None and binding
        word = "PASS" if check.problem is None else ("FAIL" if fails else "WARN")
        print(f"{word}  {check.name}" + ("" if check.problem is None else f": {check.problem}"))
        failed |= fails
    for name, r in results.items():
        if r.non_2xx or r.socket_errors or r.unexpected:
            print(
                f"FAIL  {name}: {r.non_2xx} non-2xx, {r.unexpected} other than expected"
                f" and {r.socket_errors} socket errors in {r.requests} requests"
            )
            failed = True
    if not strict:
        print(f"(smoke run below {strict_from:,} sessions: ratios, latencies and plans only warn)")
    return 1 if failed else 0
