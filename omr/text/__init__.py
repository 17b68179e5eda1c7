"""Text: Vietnamese normalisation, the negative-behaviour lexicon, masking personal numbers, safe cells.

Imports nothing of omr but the top-level errors module.
"""
