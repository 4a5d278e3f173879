"""Data of the ``structrag`` method: the committed document corpus (Debian package
records, Python's docs, installed READMEs; :mod:`~steergraph.data.structrag.corpus`),
Loong-style tasks with program-computed gold answers
(:mod:`~steergraph.data.structrag.tasks`) and their scoring
(:mod:`~steergraph.data.structrag.scoring`)."""
