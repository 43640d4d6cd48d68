"""Giving memory the server no longer uses back to the system.

glibc's malloc keeps freed memory in its arenas (one per thread that allocated)
for reuse, so a long-running server's resident size stays at its high-water
mark: a finished job's events, the pass buffers of requests that ran beside it.
malloc_trim(0) returns the free pages of every arena. It is called when a job
ends (benchmarks/load.py: about 50 MB back after four training jobs) and costs
a few milliseconds. On other C libraries (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache


@cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def return_freed_memory() -> bool:
    """Hand malloc's free pages back to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
