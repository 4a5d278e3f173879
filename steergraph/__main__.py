"""``python -m steergraph`` runs the command line (same as the ``steergraph`` script)."""

from steergraph.cli import main

if __name__ == "__main__":
    main()
