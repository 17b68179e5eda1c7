"""Periods, the merged dataset and its export, report figures, their cache and rendering.

Imports omr.online, omr.data and the layers below; never the web app or the CLI.
"""
