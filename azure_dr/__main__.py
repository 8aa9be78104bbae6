import sys

from azure_dr.cli import main

sys.exit(main(sys.argv[1:]))
