"""The store (schema, writes, queries), review decisions and users.

Imports the scan, forms and text layers below it; never online import, reports or the web app.
"""
