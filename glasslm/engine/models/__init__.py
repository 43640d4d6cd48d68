"""The models, three families side by side (none imports another).

tiny/    a character-level GPT trained here in seconds, and its baselines.
llama/   SmolLM2-135M-Instruct, a real Llama-architecture model, run by our own numpy code.
vision/  small encoders for images and points: a ViT, a CLIP pair, a diffusion model.
"""
