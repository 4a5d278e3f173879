"""``python -m steergraph.cli``: the same as the ``steergraph`` console script."""

from steergraph.cli.main import main

main()
