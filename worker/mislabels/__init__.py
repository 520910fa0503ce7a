"""Mislabel detection: out-of-sample probabilities (K-fold for train), signals, their combination, ranking."""
