"""One line about the machine a bench runs on, printed first by every bench.

The figures of a bench depend on the machine more than on anything else: next to the Python
version, the CPUs and the load, it prints how long this machine's Python takes for a fixed piece of
pure-Python work (`sum(range(1000))`, best of 5 × 2,000), so figures from two machines can be set
side by side.
"""

from __future__ import annotations

import os
import sys
import timeit


def describe() -> str:
    best = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000
    return (
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"sum(range(1000)) in {best * 1e6:.1f} µs"
    )
