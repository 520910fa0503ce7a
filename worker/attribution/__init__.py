"""Token attributions for any TextClassifier: Captum methods on the embedding layer, faithfulness,
counterfactual edits, and the analysis that puts them together (see analyze.py)."""
