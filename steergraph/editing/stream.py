"""Edit a post-trained model tensor by tensor, from its files to a new model folder.

:func:`edit_checkpoint` reads the base and the post-trained model one tensor at a time
(:class:`~steergraph.editing.checkpoint.Checkpoint`), hands each delta to an editor,
and writes ``W_base + edited delta`` in the post model's dtype through the streamed,
atomic :class:`~steergraph.editing.writer.CheckpointWriter`; peak memory is a few
copies of the largest tensor, whatever the model's size. Everything that can be
checked is checked before the first byte is written (the pair, every tensor's editor
settings, a gradient the editor needs).
:func:`merge_checkpoints` does the same for several post-trained models
of one base (TIES). :func:`edited_deltas` yields the change an edit makes to
``W_post`` per tensor, which the Riemann-sum estimator needs.

Example:
    >>> from steergraph.editing.editors import Dare
    >>> from steergraph.testing import tiny_model_pair
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> base, post = tiny_model_pair(tmp)
    >>> result = edit_checkpoint(base, post, Dare(p=0.5), tmp / "dare", progress=False)
    >>> result.edited == result.tensors, (tmp / "dare" / "config.json").is_file()
    (True, True)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steergraph.editing.checkpoint import (
    Checkpoint,
    check_pair,
    float_delta,
    open_checkpoint,
    tensor_progress,
    torch_dtype,
)
from steergraph.editing.editors import DeltaEditor, EditContext, Ties
from steergraph.editing.writer import CheckpointWriter
from steergraph.errors import EditingError

__all__ = ["EditResult", "edit_checkpoint", "edited_deltas", "merge_checkpoints", "prepare_edit"]

Source = str | Path | Checkpoint


@dataclass
class EditResult:
    """What an edit wrote: where, by which editor, how many tensors, how long."""

    out: Path
    editor: dict[str, Any]
    tensors: int
    edited: int
    seconds: float
    record: dict[str, Any] = field(default_factory=dict)


def prepare_edit(
    base: Source,
    posts: Sequence[Source],
    editor: DeltaEditor,
    ctx: EditContext | None = None,
) -> tuple[Checkpoint, list[Checkpoint], list[str]]:
    """Open the models, check that every post model pairs with the base and that the
    editor can edit each tensor it targets; return ``(base, posts, targeted names)``.
    Every editing entry point starts here, so nothing is written before these checks."""
    for post in posts:  # before an embedded model is converted (minutes, gigabytes)
        _refuse_declared_families(base, post)
    b = open_checkpoint(base)
    ps = [open_checkpoint(p) for p in posts]
    names = check_pair(b, ps[0])
    for other in ps[1:]:
        check_pair(b, other)
    return b, ps, _check_editor(editor, ps[0], names, ctx)


def _declared_family(source: Source) -> tuple[str, str] | None:
    """(model_type, where it was read) without opening the weights, when known."""
    from steergraph.llm.embedded import EMBEDDED_MODELS

    if isinstance(source, str) and source in EMBEDDED_MODELS:
        family = EMBEDDED_MODELS[source].family
        return (family, f"embedded {source}") if family else None
    config = Path(str(getattr(source, "folder", source))) / "config.json"
    try:
        return str(json.loads(config.read_text())["model_type"]), str(config.parent)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # open_checkpoint says what is wrong with it


def _refuse_declared_families(base: Source, post: Source) -> None:
    a, b = _declared_family(base), _declared_family(post)
    if a and b and a[0] != b[0]:
        raise EditingError(
            f"the models differ in architecture: base {a[0]} ({a[1]}), post {b[0]} ({b[1]})",
            fix="edit deltas between two versions of one model (same config.json model_type)",
        )


def _check_editor(
    editor: DeltaEditor,
    post: Checkpoint,
    names: Sequence[str],
    ctx: EditContext | None,
) -> list[str]:
    """The tensors ``editor`` changes, after checking its settings against each."""
    if editor.needs_grads and (ctx is None or ctx.grads is None):
        raise EditingError(
            f"{editor.label()} needs the loss gradient at the post-trained weights",
            fix="pass EditContext(grads=LossProbe(...).gradient()), or use it in evaluate_edits",
        )
    targeted = [n for n in names if editor.applies(n, post.info(n).shape)]
    for name in targeted:
        editor.check(name, post.info(name).shape)
    if not targeted:
        raise EditingError(
            f"{editor.label()} targets none of the model's {len(names)} float tensors "
            f"(targets={editor.targets or editor.default_targets!r})",
            fix="use targets='all', 'matrices', 'linear' or a regex that matches tensor names",
        )
    return targeted


def _stream(
    base: Checkpoint,
    posts: Sequence[Checkpoint],
    targeted: set[str],
    combine: Callable[[str, list[Any]], Any],
    out: Path,
    *,
    record: dict[str, Any],
    overwrite: bool,
    progress: bool,
    max_shard_bytes: int,
) -> int:
    """Write ``out``: each targeted tensor is ``base + combine(name, deltas)`` (float32
    sum, cast to the model's dtype); every other tensor is the first post model's."""
    import torch

    first = posts[0]
    layout = [(n, t.shape, t.dtype) for n, t in first.tensors.items()]
    writer = CheckpointWriter(
        out,
        layout,
        copy_from=first.folder,
        overwrite=overwrite,
        max_shard_bytes=max_shard_bytes,
        record=record,
    )
    with writer:
        for name in tensor_progress(first.names(), f"editing -> {out.name}", progress):
            if name not in targeted:  # left alone: the (first) post model's tensor
                writer.write(name, first.get(name))
                continue
            # in place where a tensor is ours alone: a few copies of one tensor at most
            w_base = base.get(name).to(torch.float32)
            deltas = [p.get(name).to(torch.float32).sub_(w_base) for p in posts]
            try:
                edited = combine(name, deltas)
            except Exception as exc:
                exc.add_note(f"while editing tensor {name!r}")
                raise
            del deltas
            w_base.add_(edited)
            del edited
            writer.write(name, w_base.to(torch_dtype(first.info(name).dtype, name)))
    return len(layout)


def _run_edit(
    base: Source,
    posts: Sequence[Source],
    editor: DeltaEditor,
    combine: Callable[[str, list[Any]], Any],
    out: str | Path,
    *,
    ctx: EditContext,
    overwrite: bool,
    progress: bool,
    max_shard_bytes: int,
) -> EditResult:
    """Check everything, then stream ``out`` (shared by editing and merging)."""
    started = time.perf_counter()
    b, ps, targeted = prepare_edit(base, posts, editor, ctx)
    record = {
        "editor": editor.to_dict(),
        "label": editor.label(),
        "base": str(b.folder),
        "posts": [str(p.folder) for p in ps],
        "edited_tensors": len(targeted),
    }
    count = _stream(
        b,
        ps,
        set(targeted),
        combine,
        Path(out),
        record=record,
        overwrite=overwrite,
        progress=progress,
        max_shard_bytes=max_shard_bytes,
    )
    seconds = time.perf_counter() - started
    return EditResult(Path(out), editor.to_dict(), count, len(targeted), seconds, record)


def edit_checkpoint(
    base: Source,
    post: Source,
    editor: DeltaEditor,
    out: str | Path,
    *,
    ctx: EditContext | None = None,
    overwrite: bool = False,
    progress: bool = True,
    max_shard_bytes: int = 2 * 1024**3,
) -> EditResult:
    """Write ``out``, a model folder holding ``W_base + editor(W_post - W_base)``.

    ``base``/``post``: model folders or embedded names. Config and tokenizer files come
    from ``post``; ``out/steergraph-edit.json`` records the edit.
    """
    context = ctx or EditContext()
    return _run_edit(
        base,
        [post],
        editor,
        lambda name, deltas: editor.edit(name, deltas[0], context),
        out,
        ctx=context,
        overwrite=overwrite,
        progress=progress,
        max_shard_bytes=max_shard_bytes,
    )


def merge_checkpoints(
    base: Source,
    posts: Sequence[Source],
    editor: Ties,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
    max_shard_bytes: int = 2 * 1024**3,
) -> EditResult:
    """TIES-merge several post-trained versions of ``base`` into ``out``."""
    if len(posts) < 1:
        raise EditingError("no post-trained model to merge", fix="pass one or more model folders")
    context = EditContext()
    return _run_edit(
        base,
        posts,
        editor,
        lambda name, deltas: editor.edit_many(name, deltas, context),
        out,
        ctx=context,
        overwrite=overwrite,
        progress=progress,
        max_shard_bytes=max_shard_bytes,
    )


def edited_deltas(
    base: Source,
    post: Source,
    editor: DeltaEditor,
    *,
    ctx: EditContext | None = None,
    progress: bool = False,
) -> Iterator[tuple[str, Any]]:
    """``(name, edited delta - delta)`` for every targeted tensor: the change the edit
    makes to ``W_post`` (float32), one tensor at a time."""
    ctx = ctx or EditContext()
    b, (p,), targeted = prepare_edit(base, [post], editor, ctx)
    for name in tensor_progress(targeted, editor.label(), progress):
        delta = float_delta(b, p, name)
        yield name, editor.edit(name, delta, ctx) - delta
