"""SmolLM2-135M, from the file on disk to a chat reply.

gguf_weights.py the 4-bit GGUF file dequantised to float32 arrays, and the config.
rope.py         rotary position embedding: position as a rotation of q and k.
kv_cache.py     the keys and values of past tokens, kept so each new token is cheap.
llama.py        the forward pass (RMSNorm, GQA attention with RoPE, SwiGLU MLP),
                fast and batched, with an optional trace of what each block did.
hooked_llama.py the same block written for reading, with the residual stream open:
                stop early, edit, resume (the interpretability chapters use it).
smollm2.py      tokenizer + weights + forward pass + sampling: the model ready to chat.
quantize.py     storing those weights in 8 or 4 bits, and what that costs.
"""
