"""`python -m ordering api|worker|migrate|seed`."""

import sys

from ordering.bootstrap import SERVICE
from servicekit.cli import main

if __name__ == "__main__":
    sys.exit(main(SERVICE))
