"""`python -m gatehold.cli`: the `gatehold` command."""

import sys

from gatehold.cli.main import main

sys.exit(main())
