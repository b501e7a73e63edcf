"""`python -m billing api|worker|migrate|seed`."""

import sys

from billing.bootstrap import SERVICE
from servicekit.cli import main

if __name__ == "__main__":
    sys.exit(main(SERVICE))
