import sys

from copilot.cli.main import main

sys.exit(main())
