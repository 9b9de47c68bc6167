import sys

from benchmarks.report.cli import main

sys.exit(main())
