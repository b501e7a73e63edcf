"""`python -m catalog api|worker|migrate|seed`."""

import sys

from catalog.bootstrap import SERVICE
from servicekit.cli import main

if __name__ == "__main__":
    sys.exit(main(SERVICE))
