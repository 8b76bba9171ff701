"""Prompt templates, shipped inside the wheel; loaded by reviewer.prompt."""
