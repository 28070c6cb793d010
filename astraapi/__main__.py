import sys

from astraapi.cli import main

sys.exit(main())
