"""return_freed_memory gives malloc's free pages back to the system (the server's resident size falls)."""

import sys
from pathlib import Path

import pytest

from glasslm.web.memory import return_freed_memory


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc's malloc")
def test_freed_heap_memory_goes_back_to_the_system():
    blobs = [bytearray(2048) for _ in range(60_000)]  # about 120 MB in malloc's heap (over pymalloc's 512 B)
    keep = blobs[-100:]  # live blocks above the freed ones: the heap's top cannot shrink by itself
    del blobs
    before = rss_mb()
    assert return_freed_memory() is True
    after = rss_mb()
    assert before - after > 60, (before, after)
    assert len(keep) == 100
