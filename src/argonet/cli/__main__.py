"""``python -m argonet.cli``."""

import sys

from argonet.cli.main import main

sys.exit(main())
