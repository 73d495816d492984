"""python -m zeoconf: the zeoconf command."""

import sys

from zeoconf.cli import main

sys.exit(main())
