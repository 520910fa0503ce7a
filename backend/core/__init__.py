"""The foundation the API, the CLI and the worker stand on: settings, database, artifacts, text, data,
specs, job queue. It imports none of them, and never torch."""
