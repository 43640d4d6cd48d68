"""The data the models learn from and are measured on, loaded one way.

files.py           the data files that ship inside this folder, found by name.
name_data.py       real names (or the learner's text) as documents for the tiny GPT.
arithmetic_data.py addition problems written as a bare answer or worked column by column.
digits.py          scikit-learn's 8x8 handwritten digits, split and cut into patches.
model_facts.py     published facts about models that cannot run here, each with its source.
"""
