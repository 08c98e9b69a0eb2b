"""Entry point of the one-folder app bundle (packaging/gui64.spec): the same `gui64` command pip installs."""

import sys

from gui64.cli import main

if __name__ == "__main__":
    sys.exit(main())
