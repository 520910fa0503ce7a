"""What the API validates and the worker runs: architectures, analysis methods, map and import options."""
