"""Opening SmolLM2 up: what is inside, and which parts carry an answer.

anatomy.py        the stages with real shapes and parameters per part.
attention_view.py one head's Q, K, V step by step, and grouped-query sharing.
logit_lens.py     the residual stream layer by layer: what each layer would predict.
tiny_lens.py      the same lens, and every head's attention, for a tiny GPT (a learner's own).
patching.py       activation patching: which layer and position carry the answer.
causal_tracing.py causal tracing: noise on the subject, then which restored state brings a fact back.
sae.py            a sparse autoencoder: activations rewritten as a few active features.
"""
