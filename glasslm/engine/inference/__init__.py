"""Using a trained model: one token after another, and what that costs.

autoregression.py  the generation loop one step at a time: context, distribution, token.
sampling_lab.py    what the sampling chapter measures about one next-token distribution.
context_window.py  a model sees a fixed number of tokens: what falls out, what it costs.
kv_cache_timing.py what the KV cache buys and costs, measured here and computed for others.
serving_trace.py   one chat request served step by step, every step timed.
thinking_budget.py more compute at answer time: majority votes and a capped scratchpad.
"""
