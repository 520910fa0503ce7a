"""Hyperparameter sweeps shared by the API (creating a sweep) and the worker (asking a Bayesian sweep's
next trial when one finishes, pruning a trial that falls behind). No torch here."""
