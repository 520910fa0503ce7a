"""Lensboard API side: settings, database, REST API and CLI. Never imports torch."""
