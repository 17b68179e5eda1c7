"""Online responses and the unit registry: reading tables, legacy encodings, mapping, importing.

Imports omr.data and the layers below it; never reports or the web app.
"""
