"""Automatic differentiation, built up from one number to arrays.

value.py       a scalar Value that records how it was made and runs backprop
               through that graph (micrograd-style): the chain rule, one number at a time.
expr.py        a small safe parser for typed formulas over named scalars;
expr_graph.py  builds a formula's Value graph and checks its gradients against
               finite differences, the picture the autograd chapter draws.
tensor.py      the same idea over numpy arrays: a few fused ops (embed, linear,
               rmsnorm, relu, causal attention, cross-entropy) each with a
               hand-written backward, fast enough to train the tiny GPT.
encoder_ops.py the extra array ops an encoder needs (biases, attention without
               a mask, a CLS row, pooling, L2 norm, MSE), for the vision models.
optim.py       what uses the gradients: SGD, momentum, Adam, and learning-rate schedules.
"""
