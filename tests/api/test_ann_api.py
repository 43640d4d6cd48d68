"""Embeddings' approximate-search demo: build an IVF index over GloVe, recall rising with nprobe
against the exact scan, and bad knobs refused."""

import pytest

pytest.importorskip("faiss")


@pytest.mark.slow
def test_build_then_recall_rises_with_nprobe(client, sse):
    job = client.post("/api/embeddings/ann/build", json={"nlist": 64}).json()["job"]
    assert [e["type"] for e in sse(job)][-2] == "built"
    low = client.post("/api/embeddings/ann/search", json={"nlist": 64, "nprobe": 1, "word": "river"}).json()
    high = client.post("/api/embeddings/ann/search", json={"nlist": 64, "nprobe": 64, "word": "river"}).json()
    assert high["recall_at_10"] == 1.0 and low["recall_at_10"] < high["recall_at_10"]
    assert high["neighbours"]["ivf"] == high["neighbours"]["exact"] and low["share_scanned"] == 1 / 64
    r = client.post("/api/embeddings/ann/search", json={"nlist": 64, "nprobe": 65, "word": "river"})
    assert r.status_code in (400, 422) and r.json()["field"] == "nprobe"


def test_search_before_building_and_bad_nlist(client):
    r = client.post("/api/embeddings/ann/search", json={"nlist": 1024, "nprobe": 4, "word": "river"})
    assert r.status_code == 409 and "Build" in r.json()["error"]
    r = client.post("/api/embeddings/ann/build", json={"nlist": 100})
    assert r.status_code == 400 and r.json()["field"] == "nlist"
