"""RAG prompts: the passages and question land in the chat exactly as shown, the answer is greedy
and the limits hold. (SmolLM2's real answer is checked by a teacher-forced pass in tests/api/test_rag.py.)"""

import pytest

from glasslm.engine.applications.chunking import chunk_documents, default_documents
from glasslm.engine.applications.rag import (
    MAX_NEW_TOKENS,
    MAX_PROMPT_TOKENS,
    RAG_SYSTEM,
    answer,
    context_block,
    plain_messages,
    rag_messages,
)
from glasslm.engine.applications.retrieval import build_index
from glasslm.engine.basics.sampling import GREEDY


def retrieved(question, k=2):
    chunks = chunk_documents(default_documents(), size=40, overlap=10)
    return [chunks[h.chunk] for h in build_index(chunks, "tfidf").search(question, k)]


def test_context_block_numbers_passages_with_titles():
    chunks = retrieved("last ferry")
    block = context_block(chunks)
    assert block == f"[1] {chunks[0].title}: {chunks[0].text}\n\n[2] {chunks[1].title}: {chunks[1].text}"


def test_messages_with_and_without_retrieval():
    chunks = retrieved("last ferry")
    msgs = rag_messages("  When is the last ferry? ", chunks)
    assert msgs[0] == {"role": "system", "content": RAG_SYSTEM}
    assert msgs[1]["content"] == f"Context:\n{context_block(chunks)}\n\nQuestion: When is the last ferry?"
    assert plain_messages(" When? ") == [{"role": "user", "content": "When?"}]


class FakeModel:
    """Records what it was asked to generate."""

    def generate(self, ids, max_tokens, settings):
        self.args = (ids, max_tokens, settings)
        from glasslm.engine.models.llama.smollm2 import GenerationEvent

        yield GenerationEvent(7, "ok", 0.0, 0, 0.0, 0.0)


def test_answer_is_greedy_and_limited():
    m = FakeModel()
    events = list(answer(m, [1, 2, 3], 5, mode="without"))
    assert m.args == ([1, 2, 3], 5, GREEDY) and [(e.mode, e.token_id, e.text) for e in events] == [("without", 7, "ok")]
    with pytest.raises(ValueError, match="max_new_tokens"):
        list(answer(m, [1], MAX_NEW_TOKENS + 1))
    with pytest.raises(ValueError, match="prompt is"):
        list(answer(m, [1] * (MAX_PROMPT_TOKENS + 1)))
