"""``python -m rai_ft`` = ``rai-ft``."""

import sys

from rai_ft.cli import main

sys.exit(main())
