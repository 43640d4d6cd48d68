"""The numerical core: numpy only, no web, no printing. Every demo's maths is
a plain function or class here, usable from a notebook.

Read the subpackages top-down, in layer order: each imports only those above
it in this list (tests/engine/test_layers.py checks it), so each is a chapter
of the engine built from the ones before.

    autograd/          derivatives: a scalar Value, then numpy Tensors, and optimizers
    basics/            linear models, a perceptron, an MLP; softmax and sampling
    tokenizers/        text to ids: characters, byte-pair encoding, real vocabularies, chat templates
    data/              the training and evaluation data, and the data files shipped in the package
    models/tiny/       the character-level GPT trained here in seconds (and its bigram baseline)
    models/llama/      SmolLM2-135M: GGUF weights, RoPE, the Llama forward pass, its KV cache
    models/vision/     vision transformer, CLIP and diffusion on tiny digits and points
    embeddings/        word vectors, position encodings, contextual hidden states
    training/          training loops as event streams: pretraining, LoRA and full fine-tuning
    inference/         generation step by step: sampling, context limits, KV cache, serving
    post_training/     SFT, reward models, DPO, critique and revision
    pretraining/       the data pipeline and the compute: cleaning, dedup, FLOPs, scaling laws
    evaluation/        scoring models: multiple choice, Elo, calibration, factual QA
    interpretability/  opening the model: logit lens, patching, sparse autoencoders, attention
    applications/      using the model: prompting, retrieval, RAG, tools and agents

The three model families are siblings: none imports another.
"""
