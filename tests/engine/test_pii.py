"""The PII scrubber against truths worked out by hand: card issuers' published test numbers for the
Luhn check, sentences whose spans were marked by a person, and precision/recall counted by hand."""

import pytest

from glasslm.engine.pretraining.pii import MASKS, evaluate, find_pii, labelled_sample, luhn_ok, scrub

VALID = ["4111111111111111", "5500000000000004", "378282246310005", "6011111111111117", "4012888888881881"]


@pytest.mark.parametrize("number", VALID)
def test_luhn_accepts_published_test_cards_and_rejects_one_changed_digit(number):
    assert luhn_ok(number)
    changed = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not luhn_ok(changed)


def test_scrub_masks_each_kind_once_without_overlaps():
    text = "Mail a.b@example.org, card 4111-1111-1111-1111, host 192.0.2.5, phone +44 20 7946 0958."
    out, spans = scrub(text)
    assert out == f"Mail {MASKS['email']}, card {MASKS['card']}, host {MASKS['ip']}, phone {MASKS['phone']}."
    assert [s.kind for s in spans] == ["email", "card", "ip", "phone"]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3.4.5",
        "999.1.1.1",
        "at 12:30:45",
        "ISBN 978-0-13-110362-7",
        "4111 1111 1111 1112",
        "12.5 to 18.25",
        "8,450,000 people",
    ],
)
def test_lookalikes_are_left_alone(text):
    assert find_pii(text) == []


def test_an_address_at_the_end_of_a_sentence_is_found():
    assert scrub("My server is 203.0.113.9.")[0] == "My server is [IP]."


def test_counts_of_a_small_set_worked_by_hand():
    examples = [
        {
            "text": "x@example.com and 555-0100",
            "spans": [{"kind": "email", "text": "x@example.com"}, {"kind": "phone", "text": "555-0100"}],
        },
        {"text": "born 2001-02-03", "spans": []},  # a date read as a phone: one false positive
        {"text": "me at example dot com", "spans": [{"kind": "email", "text": "me at example dot com"}]},  # missed
    ]
    scores, mistakes = evaluate(examples)
    by = {s.kind: s for s in scores}
    assert (by["email"].true_positives, by["email"].false_positives, by["email"].false_negatives) == (1, 0, 1)
    assert (by["phone"].true_positives, by["phone"].false_positives, by["phone"].false_negatives) == (1, 1, 0)
    assert by["email"].recall == 0.5 and by["phone"].precision == 0.5 and by["card"].precision is None
    assert {(m["kind"], m["error"]) for m in mistakes} == {("phone", "false positive"), ("email", "missed")}


def test_the_shipped_sample_is_well_formed_and_its_scores_are_reported_honestly():
    sample = labelled_sample()
    assert len(sample) >= 25
    for ex in sample:
        for s in ex["spans"]:
            assert s["text"] in ex["text"] and s["kind"] in MASKS
    scores, mistakes = evaluate()
    assert all(s.true_positives for s in scores)
    assert mistakes  # the patterns are not perfect, and the page says where


def test_too_long_a_text_is_refused():
    with pytest.raises(ValueError, match="limit"):
        find_pii("a" * 100_001)
