"""Lensboard worker: the Celery app and every piece of code that needs torch, UMAP or Captum."""
