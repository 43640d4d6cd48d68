"""Putting the model to work: prompts, documents and tools.

prompting.py   zero-shot, few-shot, chain-of-thought and self-consistency on one task set.
chunking.py    documents cut into overlapping chunks,
retrieval.py   embedded and ranked by cosine similarity,
rag.py         and put into the prompt before the model answers.
calculator.py  a safe calculator tool (a syntax-tree walker, nothing else run),
react_agent.py which a ReAct agent calls between its thoughts, with retrieval.
"""
