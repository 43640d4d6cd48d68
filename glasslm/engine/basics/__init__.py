"""The smallest models with weights, and turning scores into choices.

linear.py      linear models on real data (iris): predictions, squared error, its
               gradient, least squares, and gradient descent on one weight.
perceptron.py  one neuron with a step activation and Rosenblatt's learning rule.
activations.py the nonlinearities (step, sigmoid, tanh, ReLU, GELU, SiLU) and their derivatives.
toy_data.py    small 2-D data sets and truth tables to train them on.
mlp.py         layers of neurons with the forward and backward pass written out,
               trained by the optimizers of autograd/optim.py.
surfaces.py    two-weight loss surfaces and the paths optimizers take across them.
rope.py        rotary position embeddings (RoPE) as rotations, shared by SmolLM2 and the tiny GPT.
sinusoid.py    the sinusoidal position encodings of the original transformer.
sampling.py    from logits to a token: the one softmax and log_softmax of the
               engine, temperature, top-k/top-p/min-p, a seeded draw, and
               SamplingConfig for the four knobs that travel together.
"""
