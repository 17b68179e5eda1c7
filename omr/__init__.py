"""omr: scanned One-Stop Shop satisfaction surveys to reviewed data and reports."""

__version__ = "0.1.0"
