"""The tiny GPT, and what it has to beat.

bigram.py     counts of which character follows which: the baseline loss.
gpt.py        the transformer (on autograd/tensor.py), its checkpoints, and the
              one tiny-GPT decode loop `generate` that every sampler of it calls;
              its architecture switches (residual, norms, positions, grouped-query
              heads, GELU/SwiGLU) for the architecture lab.
rotary.py     RoPE (basics/rope.py) as an op with its backward, for the switch.
scalar_gpt.py the same forward pass one number at a time on autograd/value.py,
              to show that the fused ops compute exactly the same thing.
"""
