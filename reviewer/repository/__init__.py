"""The repository the diff belongs to, as the model may read it: one git tree, read-only."""
