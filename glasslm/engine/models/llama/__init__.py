"""SmolLM2 (the Llama architecture) in numpy, from the file on disk to many requests at once.

(Its rotary position embeddings live in basics/rope.py, shared with the tiny GPT.)

gguf_weights  reads the GGUF file into float32 matrices laid out for x @ W (cached on disk)
kv_cache      one sequence's keys and values, so a decode step reads one new token
llama         the forward pass: a prompt's prefill, one decode step, or a batch of decode steps
hooked_llama  the same blocks with the residual stream open (read it, stop, edit, resume)
prefix_cache  keys and values of recent texts, so a request runs only the tokens it has not seen
batching      the scheduler that runs every generating request's decode steps as shared passes
decode        the one generation loop: prefill, then pick a token and feed it back
smollm2       ties them together with the tokenizer: logits, score, trace, generate
quantize      what 8- and 4-bit weights change in the logits
"""
