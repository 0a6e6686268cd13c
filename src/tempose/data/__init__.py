"""Data: the sequence store, dataset readers, pretraining/finetuning samples, windows and splits."""
