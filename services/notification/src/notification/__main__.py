"""`python -m notification api|worker|migrate|seed`."""

import sys

from notification.bootstrap import SERVICE
from servicekit.cli import main

if __name__ == "__main__":
    sys.exit(main(SERVICE))
