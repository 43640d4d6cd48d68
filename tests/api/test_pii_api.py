"""Pretraining data's PII demo: the learner's text masked, the labelled sample's scores, bad input."""


def test_text_is_masked_and_the_sample_scored(client):
    d = client.post("/api/pretraining-data/pii", json={"text": "Write to a@example.com or call 555-0134."}).json()
    assert d["scrubbed"] == "Write to [EMAIL] or call [PHONE]."
    assert d["counts"] == {"email": 1, "phone": 1, "ip": 0, "card": 0}
    scores = {s["kind"]: s for s in d["sample"]["scores"]}
    assert d["sample"]["examples"] >= 25 and scores["card"]["precision"] == 1.0
    assert any(m["error"] == "missed" for m in d["sample"]["mistakes"])


def test_blank_and_huge_text_get_a_sentence(client):
    r = client.post("/api/pretraining-data/pii", json={"text": "  "})
    assert r.status_code == 400 and r.json()["field"] == "text" and "Paste some text" in r.json()["error"]
    r = client.post("/api/pretraining-data/pii", json={"text": "x" * 20_001})
    assert r.status_code == 422 and r.json()["field"] == "text"
