"""Small hand-written task and question sets (JSON) used by engine/prompting.py and engine/choice_scoring.py."""
