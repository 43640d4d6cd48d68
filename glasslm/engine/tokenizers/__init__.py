"""From text to ids and back, from the simplest tokenizer to real ones.

chars.py                 one id per character plus BOS: the tiny GPT's tokenizer.
bpe.py                   byte-level byte-pair encoding: training merges and applying them
                         (the core every later tokenizer shares).
bpe_naive.py             the textbook trainer that recounts every pair after every
                         merge, kept to show why bpe.py counts incrementally.
bpe_regex.py             what real tokenizers add: regex pre-splitting (GPT-4's and
                         SmolLM2's patterns) and special tokens.
pretrained_tokenizers.py real vocabularies (cl100k_base, SmolLM2's) loaded into that BPE.
chat_template.py         a conversation as one token sequence (ChatML).
token_display.py         a token as a learner should see it (spaces, bytes, newlines).
"""
