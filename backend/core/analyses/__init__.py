"""Analyses (token attributions): the result the worker computes, and the cache both sides consult."""
