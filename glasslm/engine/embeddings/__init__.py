"""Vectors that stand for tokens, and for where they are.

glove.py      static word vectors (GloVe) and the geometry people find in them.
positions.py  where a token is: sinusoidal encodings, and the numbers behind RoPE.
contextual.py what static vectors miss: one word's SmolLM2 hidden state in
              different sentences, layer by layer.
"""
