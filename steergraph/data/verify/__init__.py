"""Data of the ``verify`` method: HumanEval problems with their visible tests
(:mod:`~steergraph.data.verify.humaneval`) and seeded arithmetic word problems
(:mod:`~steergraph.data.verify.arithmetic`)."""
