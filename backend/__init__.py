"""Lensboard's Python side below the worker: `core` (shared by everything), `api` (the REST API) and `cli`."""
