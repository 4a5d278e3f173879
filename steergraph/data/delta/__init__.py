"""Data of the ``delta`` method (delta-parameter editing): the instruction rows that make
the post-trained model of a (base, post-trained) pair here, and the calibration rows its
loss is measured on (:mod:`~steergraph.data.delta.post_train`)."""

from steergraph.data.delta.post_train import post_train_rows

__all__ = ["post_train_rows"]
