"""Documents cut into overlapping chunks: the first step of retrieval-augmented generation.

A retriever does not search whole documents: a long document mixes many
topics, and the prompt has room for only a few paragraphs. So each document
is cut into chunks of `size` words, each starting `size - overlap` words after
the previous one (Lewis et al. 2020, "Retrieval-Augmented Generation for
Knowledge-Intensive NLP Tasks", split Wikipedia into 100-word passages; the
overlap is a common practical addition so a fact cut at a border still
appears whole in one chunk).

A chunk never crosses from one document into the next, keeps the character
span it came from (so a page can highlight it), and the last chunk of a
document may be shorter. Documents are written as plain text where a line
starting with "# " begins a new document and names it (see glasslm/engine/data/handbook.md, the
default set: an invented town's handbook).

Left out: splitting at sentence or paragraph borders, token-based sizes
(the model's tokenizer), and recursive splitters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from glasslm.engine.data.files import data_file

MAX_DOCUMENTS = 20  # documents in one set: a handbook, not a library
MAX_DOCUMENT_SET_CHARS = 20_000  # all documents together: about 3,000 words
MAX_CHUNK_WORDS = 200  # one chunk: a few paragraphs, still small beside the prompt limit
MAX_CHUNKS = 400  # chunks in one index: every query is a (N, D) product

_WORD = re.compile(r"\S+")
HANDBOOK = data_file("handbook.md")


@dataclass(frozen=True)
class Document:
    title: str
    text: str


@dataclass(frozen=True)
class Chunk:
    doc: int  # index of the document it came from
    title: str  # that document's title
    index: int  # 0-based position among its document's chunks
    start: int  # character offset in the document's text where it starts
    end: int  # ... and where it ends (exclusive)
    words: int  # its number of words
    text: str  # document.text[start:end]


def parse_documents(text: str) -> list[Document]:
    """Documents from text where each "# Title" line starts one (text before the first is "Untitled")."""
    docs: list[Document] = []
    title, lines = None, []

    def close():
        body = "\n".join(lines).strip()
        if body or title is not None:
            docs.append(Document(title=(title or "Untitled").strip() or "Untitled", text=body))

    for line in text.splitlines():
        if line.startswith("# "):
            close()
            title, lines = line[2:], []
        else:
            lines.append(line)
    close()
    return [d for d in docs if d.text]


def default_documents() -> list[Document]:
    """The handbook of Quillmere, a town invented for this guide (so no model knows it)."""
    return parse_documents(HANDBOOK.read_text(encoding="utf-8"))


def check_documents(docs: list[Document]) -> None:
    """ValueError saying what is wrong with a document set, or nothing."""
    if not docs:
        raise ValueError("there are no documents: write at least one paragraph (a line '# Title' starts each one)")
    if len(docs) > MAX_DOCUMENTS:
        raise ValueError(f"{len(docs)} documents is more than the limit of {MAX_DOCUMENTS}: merge or remove some")
    total = sum(len(d.text) for d in docs)
    if total > MAX_DOCUMENT_SET_CHARS:
        raise ValueError(
            f"the documents hold {total:,} characters, more than the limit of {MAX_DOCUMENT_SET_CHARS:,}: shorten them"
        )


def chunk_document(doc: Document, doc_index: int, size: int, overlap: int) -> list[Chunk]:
    """Chunks of `size` words, consecutive chunks sharing `overlap` words."""
    if not 1 <= size <= MAX_CHUNK_WORDS:
        raise ValueError(f"chunk size must be from 1 to {MAX_CHUNK_WORDS} words, got {size}")
    if not 0 <= overlap < size:
        raise ValueError(f"overlap must be from 0 to size - 1 = {size - 1} words, got {overlap}")
    spans = [m.span() for m in _WORD.finditer(doc.text)]  # (W, 2) each word's characters
    step = size - overlap
    chunks = []
    for first in range(0, len(spans), step):
        last = min(first + size, len(spans))  # exclusive
        start, end = spans[first][0], spans[last - 1][1]
        chunks.append(Chunk(doc_index, doc.title, len(chunks), start, end, last - first, doc.text[start:end]))
        if last == len(spans):
            break  # this chunk reached the end: another would only repeat its tail
    return chunks


def chunk_documents(docs: list[Document], size: int = 40, overlap: int = 10) -> list[Chunk]:
    """Every document's chunks, in document order (ValueError past the limits)."""
    check_documents(docs)
    chunks = [c for i, d in enumerate(docs) for c in chunk_document(d, i, size, overlap)]
    if len(chunks) > MAX_CHUNKS:
        raise ValueError(
            f"these settings make {len(chunks)} chunks, more than the limit of {MAX_CHUNKS}: "
            "use bigger chunks or less overlap"
        )
    return chunks
