"""Forms: templates, their resolved layouts in mm, printing, QR payloads, fonts and the scan simulator.

Imports only omr.text and the top-level model, errors and tuning modules.
"""
