"""Synthetic façade videos with ground truth, for the thrown-object detector tests and bench."""
