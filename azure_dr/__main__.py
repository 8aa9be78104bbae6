import logging
import sys

from azure_dr.cli import main

# azure-identity logs each failed credential of the chain as a multi-line warning; the CLI
# already turns that failure into one actionable line, so keep the SDK's loggers quiet.
logging.getLogger("azure").addHandler(logging.NullHandler())
logging.getLogger("azure").propagate = False

sys.exit(main(sys.argv[1:]))
