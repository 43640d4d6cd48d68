"""From a model that continues text to one that follows instructions and preferences.

sft.py         supervised fine-tuning: prompt-masked loss on instruction/response pairs,
               and the shared base model it starts from.
preferences.py a reward model learned from pairwise choices (Bradley-Terry).
dpo.py         direct preference optimisation: the same choices, no reward model.
critique.py    a model revising its own answer against a written principle.
"""
