"""The chat template: how a conversation becomes one token sequence (ChatML).

An instruction-tuned model was trained on conversations written in a fixed
format. SmolLM2's GGUF file carries that format as a Jinja template
(`tokenizer.chat_template`); rendered, a conversation reads

    <|im_start|>system\\nYou are a helpful AI assistant named SmolLM, ...<|im_end|>\\n
    <|im_start|>user\\nWhat is the capital of France?<|im_end|>\\n
    <|im_start|>assistant\\n                 <- the model writes from here, and ends
                                             its turn with <|im_end|>

The role markers `<|im_start|>` and `<|im_end|>` are single special tokens
(ids 1 and 2), and they are special ONLY where the template puts them. Text a
learner types that happens to look like `<|im_start|>` is ordinary text and
is encoded byte by byte like any other: otherwise a message could forge a
turn of the conversation (a prompt injection through the tokenizer).

So instead of rendering the template to one string and tokenizing it with
special tokens allowed, `ChatTemplate` builds the sequence piece by piece:
special ids for the markers, plain encoding for roles and contents. The
default system prompt is read from the file's template, not typed in here.
The test suite renders the file's own template with Jinja and checks that both
give the same tokens for ordinary messages.

Left out: tool calls, multi-modal content, other template families.
"""

from __future__ import annotations

import re

ROLES = ("system", "user", "assistant")
START, END = "<|im_start|>", "<|im_end|>"


class ChatTemplate:
    """ChatML from a GGUF chat template string and a tokenizer."""

    def __init__(self, template: str, tokenizer):
        if START not in template or END not in template or "message['role']" not in template:
            raise ValueError("the model's chat template is not ChatML (<|im_start|>role ... <|im_end|>)")
        found = re.search(re.escape(START) + r"system\n(.*?)" + re.escape(END), template, re.S)
        self.default_system: str | None = found.group(1) if found else None
        self.template = template
        self.tokenizer = tokenizer
        self.start_id = tokenizer.special_tokens[START]
        self.end_id = tokenizer.special_tokens[END]

    @staticmethod
    def check(messages) -> list[dict]:
        """The messages as a list of {role, content}, or ValueError saying what is wrong."""
        if not isinstance(messages, (list, tuple)) or not messages:
            raise ValueError("messages must be a non-empty list of {'role': ..., 'content': ...}")
        out = []
        for n, m in enumerate(messages):
            role = m.get("role") if isinstance(m, dict) else None
            content = m.get("content") if isinstance(m, dict) else None
            if role not in ROLES:
                raise ValueError(f"message {n}: role must be one of {ROLES}, got {role!r}")
            if not isinstance(content, str):
                raise ValueError(f"message {n}: content must be text, got {type(content).__name__}")
            out.append({"role": role, "content": content})
        return out

    def segments(self, messages, add_generation_prompt: bool = True) -> list[tuple[str, int | None]]:
        """The conversation as pieces: (text, None) for plain text, (marker, id) for specials."""
        messages = self.check(messages)
        if messages[0]["role"] != "system" and self.default_system is not None:
            messages = [{"role": "system", "content": self.default_system}] + messages
        pieces: list[tuple[str, int | None]] = []
        for m in messages:
            pieces += [
                (START, self.start_id),
                (m["role"] + "\n" + m["content"], None),
                (END, self.end_id),
                ("\n", None),
            ]
        if add_generation_prompt:
            pieces += [(START, self.start_id), ("assistant\n", None)]
        return pieces

    def render(self, messages, add_generation_prompt: bool = True) -> str:
        """The conversation as the text the template would produce."""
        return "".join(text for text, _ in self.segments(messages, add_generation_prompt))

    def ids(self, messages, add_generation_prompt: bool = True) -> list[int]:
        """Token ids: markers as special ids, everything else as plain text."""
        out: list[int] = []
        for text, special in self.segments(messages, add_generation_prompt):
            if special is not None:
                out.append(special)
            else:
                out += self.tokenizer.encode(text)  # no special tokens allowed inside text
        return out
