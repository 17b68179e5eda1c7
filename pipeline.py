#!/usr/bin/env python3
"""Run omr's command line from a checkout: ``python pipeline.py forms print …``."""

import sys

from omr.cli import main

if __name__ == "__main__":
    sys.exit(main())
