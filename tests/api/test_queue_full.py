"""A full scheduler queue reaches the learner as a 429 with the scheduler's one sentence."""

from fastapi.testclient import TestClient

from glasslm.engine.models.llama.batching import MAX_QUEUED, QueueFull
from glasslm.web.app import create_app
from tests.api.local import LOCAL


def test_queue_full_is_a_429_with_a_sentence():
    app = create_app()

    @app.get("/api/test-busy")
    def busy():
        raise QueueFull(f"{MAX_QUEUED} requests are already waiting for the model: try again in a moment.")

    with TestClient(app, raise_server_exceptions=False, base_url=LOCAL) as c:
        r = c.get("/api/test-busy")
    assert r.status_code == 429
    assert r.json()["error"] == f"{MAX_QUEUED} requests are already waiting for the model: try again in a moment."
