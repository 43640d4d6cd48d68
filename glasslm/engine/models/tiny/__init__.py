"""The tiny GPT, and what it has to beat.

bigram.py     counts of which character follows which: the baseline loss.
gpt.py        the transformer (on autograd/tensor.py), its checkpoints, and the
              one tiny-GPT decode loop `generate` that every sampler of it calls.
scalar_gpt.py the same forward pass one number at a time on autograd/value.py,
              to show that the fused ops compute exactly the same thing.
"""
