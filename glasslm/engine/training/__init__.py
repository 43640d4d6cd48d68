"""Training loops, each a stream of events the demos draw as they arrive.

train.py               pretraining the tiny GPT: TrainConfig, TrainRun, train_tiny_gpt
                       (the XConfig / XRun / train_x convention every loop follows).
arch_lab.py            tiny GPTs of different architectures trained side by side on the
                       same batches, with each block's gradient norm; the tour from
                       microgpt's configuration to SmolLM2's choices; KV-cache sizes.
lora.py                LoRA: frozen weights plus a learned low-rank change.
finetune.py            LoRA and full fine-tuning side by side on the same new data.
scratchpad_training.py two tiny GPTs, one answering at once and one writing its work
                       first, trained on the same additions.
"""
