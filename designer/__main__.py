"""`python -m designer` starts the command line (the GUI when no sub-command is given)."""

try:
    from designer.cli import run
except KeyboardInterrupt:  # Ctrl-C while Python was still loading the command line
    raise SystemExit(130) from None

run()
