"""`python -m designer` starts the command line (the GUI when no sub-command is given)."""

from designer.cli import run

run()
