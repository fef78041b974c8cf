"""``python -m geoverify``."""

import sys

from geoverify.cli.main import main

sys.exit(main())
