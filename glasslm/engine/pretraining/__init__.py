"""What goes in before training, and what training costs.

quality_filters.py heuristic filters for web text, each with a threshold and a reason.
dedup.py           duplicate documents: exact by hashing, near with MinHash.
corpus_cleaning.py the pipeline of both: split, de-duplicate, filter, count tokens.
training_compute.py C ~ 6 N D operations, and what that means on this machine.
scaling.py         a sweep of tiny GPTs, a fitted power law, and the 20-tokens rule.
"""
