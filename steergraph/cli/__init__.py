"""The ``steergraph`` command line, one module per method (``cli/<slug>.py``).

:mod:`~steergraph.cli.main` holds the app and the commands that belong to no method
(``models``, ``chat``, ``demo``, ``viz``, ``methods``); each registered method's sub-app
(:mod:`steergraph.methods`) is added under its command; :mod:`~steergraph.cli.common`
holds what commands share. ``steergraph --help`` imports no torch.

Example:
    >>> from steergraph.cli import app
    >>> sorted(g.name for g in app.registered_groups)  # doctest: +NORMALIZE_WHITESPACE
    ['babel', 'caorl', 'catp', 'difflm', 'edit', 'models', 'mole', 'seg2act', 'sso',
     'structrag', 'value', 'verify']
"""

from steergraph.cli.main import app, main

__all__ = ["app", "main"]
