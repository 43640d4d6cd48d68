"""Chapter 22 in Chromium: the learner re-chunks documents, searches them with two embeddings,
writes their own document, and asks SmolLM2 with and without retrieval."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS, readout


def test_chunk_size_and_overlap_change_the_chunks(page):
    page.open_chapter("rag")
    demo = page.locator('.demo[data-demo="chunks"]')
    expect(readout(demo, "chunks", exact=True)).to_have_text("16")  # the handbook at 40 words, overlap 10
    expect(demo.locator(".rag-overlap").first).to_be_visible()
    demo.locator('[data-field="overlap"] input[type=range]').fill("0")
    expect(readout(demo, "a new chunk every", exact=True)).to_have_text("40 words")
    expect(demo.locator(".rag-overlap")).to_have_count(0)
    demo.locator('[data-field="size"] input[type=range]').fill("200")
    expect(readout(demo, "chunks", exact=True)).to_have_text("6")  # one per document: each is under 200 words
    demo.locator('[data-field="overlap"] input[type=range]').fill("30")
    demo.locator('[data-field="size"] input[type=range]').fill("20")
    expect(demo.locator('[data-field="overlap"] .field-error')).to_contain_text("smaller than the chunk size")


def test_search_ranks_chunks_and_follows_the_learners_documents(page):
    page.open_chapter("rag")
    search = page.locator('.demo[data-demo="search"]')
    tfidf = search.locator('.rag-col[data-embedding="tfidf"] .rag-hit')
    expect(tfidf).to_have_count(3)
    expect(tfidf.first).to_contain_text("21:15")
    expect(search.locator('.rag-col[data-embedding="glove"] .rag-hit')).to_have_count(3)
    search.get_by_label("Question", exact=True).fill("What is vellcake made of?")
    expect(tfidf.first).to_contain_text("buckwheat")
    expect(search.locator('.rag-col[data-embedding="glove"] .rag-words')).to_contain_text("vellcake")
    search.locator('[data-field="k"] input[type=range]').fill("5")
    expect(tfidf).to_have_count(5)
    # the learner's own document, searched at once
    chunks = page.locator('.demo[data-demo="chunks"]')
    chunks.locator("textarea").fill("# Garden\nThe tomatoes are watered at seven.\n# Cat\nThe cat is called Pixel.")
    expect(readout(chunks, "documents", exact=True)).to_have_text("2")
    search.get_by_label("Question", exact=True).fill("what is the cat called")
    expect(tfidf.first).to_contain_text("Pixel")
    expect(tfidf).to_have_count(2)  # only two chunks exist
    search.get_by_label("Question", exact=True).fill("¿?")
    expect(search.locator('[data-field="question"] .field-error')).to_contain_text("no words or numbers")


@pytest.mark.slow
def test_ask_with_and_without_retrieval(page):
    page.open_chapter("rag")
    demo = page.locator('.demo[data-demo="answer"]')
    expect(demo.locator(".rag-using")).to_contain_text("last ferry")
    demo.locator('[data-field="max_new_tokens"] input[type=range]').fill("8")
    demo.locator('[data-field="k"] input[type=range]').fill("1")
    demo.get_by_role("button", name="Ask SmolLM2").click()
    expect(demo.locator(".rag-prompt .token").first).to_be_attached(timeout=SMOLLM2_MS)
    expect(demo.locator('.rag-card[data-mode="without"] .rag-note')).to_contain_text("tokens in", timeout=SMOLLM2_MS)
    expect(demo.locator('.rag-card[data-mode="with"] .rag-answer')).not_to_have_text("")
    expect(demo.locator('.rag-card[data-mode="without"] .rag-answer')).not_to_have_text("")
    expect(readout(demo, "prompt", exact=True)).to_contain_text("with retrieval")
    expect(demo.locator(".rag-prompt-text")).to_contain_text("<|im_start|>system\nYou answer questions using only")
    expect(demo.locator(".rag-prompt-text")).to_contain_text("Question: When does the last ferry return?")
    expect(demo.locator(".rag-used")).to_contain_text("Retrieved by TF-IDF: chunk")
    expect(demo.get_by_role("button", name="Ask SmolLM2")).to_be_enabled()
