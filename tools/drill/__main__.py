import sys

from tools.drill.cli import main

sys.exit(main(sys.argv[1:]))
