"""Waiting for a background job through the API, for tests that read its result
rather than its event stream (the `sse` fixture in conftest reads the stream)."""

import time


def wait_end(client, job: str, timeout: float = 120) -> dict:
    """Poll /api/jobs/{job} until it is no longer running; its final status JSON."""
    t0 = time.monotonic()
    while client.get(f"/api/jobs/{job}").json()["status"] == "running":
        assert time.monotonic() - t0 < timeout, "the job did not end"
        time.sleep(0.05)
    return client.get(f"/api/jobs/{job}").json()
