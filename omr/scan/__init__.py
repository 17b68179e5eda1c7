"""Reading scans: ingest → identify → align → read (marks, bubbles, comments, OCR), the page pipeline and batches.

Imports omr.forms and omr.text below it; never the store, online import, reports or the web app.
"""
