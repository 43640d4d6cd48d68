"""Transformers and friends beyond text, small enough to train in a session.

vit.py         a vision transformer on 8x8 digits: patches as tokens.
clip_digits.py two encoders (images and digit names) trained to agree: CLIP's contrastive loss.
diffusion.py   a denoising diffusion model on 2-D point clouds, with class guidance.
"""
