"""Reading datasets from their published layouts and importing them into Lensboard."""
