"""Measuring a model: what it prefers, how often it is right, how sure it should be.

choice_scoring.py multiple choice by likelihood, as benchmarks score models.
elo.py            ratings from pairwise votes: Elo updates and a Bradley-Terry fit.
calibration.py    does confidence match accuracy? reliability bins, ECE, abstaining.
fact_qa.py        short factual answers from SmolLM2 with a confidence, and how they are marked.
"""
