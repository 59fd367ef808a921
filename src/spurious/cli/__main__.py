import sys

from spurious.cli import main

sys.exit(main())
