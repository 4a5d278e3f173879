"""Data of the ``catp`` method: the OpenCATP-style benchmark tasks over real text and
tables, with gold outputs from reference pipelines (:mod:`~steergraph.data.catp.tasks`)."""
