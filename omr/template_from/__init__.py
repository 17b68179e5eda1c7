"""Templates made from forms designed elsewhere: a blank form's scan, or an OMRChecker template.

Uses the scan stages (ingest, registration) and omr.forms; nothing above them.
"""
