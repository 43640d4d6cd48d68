"""What the browser tests share: finding a readout's value, and how long SmolLM2 may take.

readout(demo, "loss")              the value beside the first readout label containing "loss"
readout(demo, "loss", exact=True)  ... beside the label that is exactly "loss" (when labels overlap)
SMOLLM2_MS                         Playwright timeout for anything that waits on SmolLM2
"""

from __future__ import annotations

import re

# ms: a SmolLM2 answer is a fraction of a second to seconds alone, but several times that on a
# 2-core machine shared with Chromium and the test server, and the first one on a fresh server loads the model.
SMOLLM2_MS = 120_000


def readout(demo, label: str, exact: bool = False):
    """The `.value` of the readout item in `demo` whose `.label` contains (or, exact, is) `label`."""
    if not exact:
        return demo.locator(".readout-item", has_text=label).locator(".value")
    label_el = demo.page.locator(".label", has_text=re.compile(f"^{re.escape(label)}$"))
    return demo.locator(".readout-item", has=label_el).locator(".value")
