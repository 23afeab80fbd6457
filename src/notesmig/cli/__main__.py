"""``python -m notesmig.cli``: the same command line as the ``notesmig`` script."""

from notesmig.cli import main

main()
