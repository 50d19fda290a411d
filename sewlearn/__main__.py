"""``python -m sewlearn``: the same command line as the ``sewlearn`` script."""

import sys

from sewlearn._reproduce import main

if __name__ == "__main__":
    sys.exit(main())
