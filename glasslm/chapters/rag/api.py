"""The rag chapter: the learner's documents chunked, embedded, searched, and read by SmolLM2.

Endpoints:
- GET /defaults: the default documents (an invented town's handbook), example
  questions and the limits;
- POST /chunks: the documents (a "# Title" line starts each) cut into chunks
  of `size` words overlapping by `overlap`;
- POST /search: the question's top-k chunks by cosine similarity, for one or
  both embeddings (TF-IDF, mean GloVe), with every score and what each
  embedding could read of the question;
- POST /answer: a job that builds the chat prompt with the retrieved chunks
  (shown as tokens), streams SmolLM2's greedy answer with retrieval, then
  without, token by token (GET /api/jobs/{id}/events).

Indexes are kept in the app's cache (web/cache.py), so a new question
over the same documents only embeds the question.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.applications import rag
from glasslm.engine.applications.chunking import (
    HANDBOOK,
    MAX_CHUNK_WORDS,
    MAX_CHUNKS,
    MAX_DOCUMENT_SET_CHARS,
    MAX_DOCUMENTS,
    Chunk,
    chunk_documents,
    parse_documents,
)
from glasslm.engine.applications.retrieval import MAX_K, Index, build_index, terms
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

router = APIRouter()

MAX_DOCUMENTS_CHARS = MAX_DOCUMENT_SET_CHARS + 2000  # the text box: the documents plus their title lines
MAX_QUESTION_CHARS = 300  # a question, not a second document
MAX_QUESTION_TOKENS = 80  # keeps the prompt's room for the chunks
JOB_KIND = "rag-answer"
EXAMPLE_QUESTIONS = [
    "When does the last ferry return?",
    "Who is the mayor of Quillmere?",
    "How many books can I borrow from the library?",
    "What is vellcake made of?",
    "How much does a fishing permit cost?",
]

INDEXES_KEPT = 16  # indexes kept (documents x chunking x embedding): each is at most 400 x a few thousand floats


def cached_index(request: Request, chunks: list[Chunk], embedding: str) -> tuple[Index, bool]:
    """(the index of these chunks, whether this app had built it already)."""
    cache = app_cache(request, "rag-indexes", INDEXES_KEPT)
    return cache.get((tuple(chunks), embedding), lambda: build_index(chunks, embedding))


Embedding = Literal["tfidf", "glove", "minilm"]


class DocumentsRequest(BaseModel):
    documents: str = Field(min_length=1, max_length=MAX_DOCUMENTS_CHARS)
    size: int = Field(40, ge=1, le=MAX_CHUNK_WORDS, description="words per chunk")
    overlap: int = Field(10, ge=0, le=MAX_CHUNK_WORDS - 1, description="words shared by neighbouring chunks")


class SearchRequest(DocumentsRequest):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(3, ge=1, le=MAX_K)
    embeddings: list[Embedding] = Field(["tfidf", "glove", "minilm"], min_length=1, max_length=3)


class AnswerRequest(DocumentsRequest):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(2, ge=1, le=MAX_K)
    embedding: Embedding = "tfidf"
    max_new_tokens: int = Field(40, ge=1, le=rag.MAX_NEW_TOKENS)


def chunks_of(req: DocumentsRequest) -> list[Chunk]:
    """The request's documents chunked, or a DemoError naming the control to change."""
    if req.overlap >= req.size:
        raise DemoError(
            f"The overlap ({req.overlap} words) must be smaller than the chunk size ({req.size} words).", "overlap"
        )
    docs = parse_documents(req.documents)
    try:
        return chunk_documents(docs, req.size, req.overlap)
    except ValueError as e:
        field = "size" if "chunks, more than" in str(e) else "documents"
        status = 413 if "more than" in str(e) else 400
        raise DemoError(str(e)[0].upper() + str(e)[1:] + ".", field, status=status) from None


def chunk_json(c: Chunk, n: int) -> dict:
    return {
        "n": n,
        "doc": c.doc,
        "title": c.title,
        "index": c.index,
        "start": c.start,
        "end": c.end,
        "words": c.words,
        "text": c.text,
    }


def check_question(question: str) -> str:
    if not question.strip():
        raise DemoError("Type a question: a few words are enough.", "question")
    if not terms(question):
        raise DemoError("The question has no words or numbers the search can read: type it in words.", "question")
    return question.strip()


@router.get("/defaults")
def defaults():
    return {
        "documents": HANDBOOK.read_text(encoding="utf-8"),
        "questions": EXAMPLE_QUESTIONS,
        "limits": {
            "documents": MAX_DOCUMENTS,
            "characters": MAX_DOCUMENT_SET_CHARS,
            "chunk_words": MAX_CHUNK_WORDS,
            "chunks": MAX_CHUNKS,
            "k": MAX_K,
            "question_chars": MAX_QUESTION_CHARS,
            "max_new_tokens": rag.MAX_NEW_TOKENS,
        },
    }


@router.post("/chunks")
def chunks(req: DocumentsRequest):
    start = time.perf_counter()
    cs = chunks_of(req)
    docs = parse_documents(req.documents)
    return {
        "documents": [{"title": d.title, "words": len(d.text.split()), "chars": len(d.text)} for d in docs],
        "chunks": [chunk_json(c, n) for n, c in enumerate(cs)],
        "size": req.size,
        "overlap": req.overlap,
        "step": req.size - req.overlap,
        "mean_words": sum(c.words for c in cs) / len(cs),
        "seconds": time.perf_counter() - start,
    }


@router.post("/search")
def search(req: SearchRequest, request: Request):
    question = check_question(req.question)
    cs = chunks_of(req)
    results = {}
    for embedding in dict.fromkeys(req.embeddings):
        start = time.perf_counter()
        index, cached = cached_index(request, cs, embedding)
        built = time.perf_counter() - start
        hits = index.search(question, req.k)
        results[embedding] = {
            "hits": [{"rank": h.rank, "score": h.score, **chunk_json(cs[h.chunk], h.chunk)} for h in hits],
            "query": index.embedder.explain(question),
            "index_cached": cached,
            "index_seconds": built,
            "search_seconds": time.perf_counter() - start - built,
            "dimensions": int(index.vectors.shape[1]),
        }
    return {"question": question, "k": req.k, "chunks_total": len(cs), "results": results}


def prompt_json(m: SmolLM2, ids: list[int]) -> dict:
    return {"ids": ids, "tokens": [token_piece(m.tokenizer, i) for i in ids], "text": m.decode(ids), "length": len(ids)}


@router.post("/answer")
def answer(req: AnswerRequest, request: Request, session: str = Depends(session_id)):
    """Start a job: events prompts {with, without, hits}, token {mode, token}, answer_end {mode, text},
    done {with, without, seconds}."""
    m = load_smollm2()
    question = check_question(req.question)
    encode_text(m, question, MAX_QUESTION_TOKENS, field="question", purpose="the question holds")
    cs = chunks_of(req)
    index, _ = cached_index(request, cs, req.embedding)
    hits = index.search(question, req.k)
    with_ids = m.chat_ids(rag.rag_messages(question, [cs[h.chunk] for h in hits]))
    without_ids = m.chat_ids(rag.plain_messages(question))
    if len(with_ids) > rag.MAX_PROMPT_TOKENS:
        raise DemoError(
            f"The prompt with {req.k} chunks is {len(with_ids):,} tokens; the limit here is "
            f"{rag.MAX_PROMPT_TOKENS}. Retrieve fewer chunks or make them smaller.",
            "k",
            status=413,
        )

    def events(job):
        begin = time.perf_counter()
        yield {
            "type": "prompts",
            "question": question,
            "embedding": req.embedding,
            "hits": [{"rank": h.rank, "score": h.score, **chunk_json(cs[h.chunk], h.chunk)} for h in hits],
            "with": prompt_json(m, with_ids),
            "without": prompt_json(m, without_ids),
            "max_new_tokens": req.max_new_tokens,
        }
        done = {}
        for mode, ids in (("with", with_ids), ("without", without_ids)):
            start, out = time.perf_counter(), []
            for e in rag.answer(m, ids, req.max_new_tokens, mode):
                if job.stop_event.is_set():
                    return
                out.append(e.token_id)
                yield {"type": "token", "mode": mode, "token": token_piece(m.tokenizer, e.token_id)}
            done[mode] = {
                "text": m.decode(out),
                "ids": out,
                "tokens": len(out),
                "ended": len(out) < req.max_new_tokens,
                "seconds": time.perf_counter() - start,
            }
            yield {"type": "answer_end", "mode": mode, **done[mode]}
        yield {"type": "done", **done, "seconds": time.perf_counter() - begin}

    job = request.app.state.jobs.start(session, JOB_KIND, events)
    return {"job": job.id, "prompt_tokens": {"with": len(with_ids), "without": len(without_ids)}}


@router.get("/quality")
def quality(request: Request):
    """How often each retriever's top chunks come from the document that answers a question, over the
    hand-labelled questions about the default handbook (default chunking: 40 words, 10 shared)."""
    from glasslm.engine.applications.chunking import chunk_documents, default_documents
    from glasslm.engine.applications.retrieval import EMBEDDINGS, document_hit_rates
    from glasslm.engine.data.files import read_json

    labelled = read_json("handbook_questions.json")["questions"]
    qs = [(q["question"], q["document"]) for q in labelled]
    cs = chunk_documents(default_documents(), 40, 10)
    out = {}
    for embedding in EMBEDDINGS:
        index, _ = cached_index(request, cs, embedding)
        start = time.perf_counter()
        rates = document_hit_rates(index, qs)
        out[embedding] = {**rates, "seconds_per_question": (time.perf_counter() - start) / len(qs)}
    return {"questions": labelled, "chunks": len(cs), "results": out}
