import sys

from omr.cli import main

sys.exit(main())
