"""Tiny multilingual code pre-training: the stages Babel Tower watches.

Chen et al., 2025, "The Rise and Down of Babel Tower: Investigating the Evolution
Process of Multilingual Code Large Language Model" (ICLR 2025, arXiv:2412.07298): a
code model pre-trained on Python, then continued on a new language, first answers the
new language through its Python "knowledge system" (translation), then builds a
language-specific one (transition -> stabilisation).

Here the model is a Llama of a few million parameters trained from scratch with a
byte-level BPE tokenizer trained on the corpora (``tokenizers``). TRL has no
pre-training trainer, so :class:`BabelTrainer` is transformers' ``Trainer`` over an
iterable of token blocks drawn from each language's training stream in the stage's
mixture; every ``eval_every`` steps it measures the held-out loss per language and saves
a checkpoint (``ckpt-<tokens>``, the probes read them later) and the curve so far
(``curve.json``), so a stopped run keeps what it measured.

Example (two tiny languages, a handful of steps):
    >>> import contextlib, io, tempfile
    >>> from steergraph.data.babel.corpus import Corpus, CodeFile
    >>> files = [CodeFile(lang, f"{lang}{i}", text * 30, split)
    ...          for lang, text in (("python", "def f(x):\\n    return x + 1\\n"),
    ...                             ("go", "func f(x int) int {\\n\\treturn x + 1\\n}\\n"))
    ...          for i, split in enumerate(("train", "train", "heldout"))]
    >>> corpus = Corpus(["python", "go"], files)
    >>> tok = train_code_tokenizer(corpus, vocab_size=300)
    >>> streams = encode_corpus(corpus, tok)
    >>> cfg = BabelConfig(output_dir=tempfile.mkdtemp(), max_steps=4, eval_every=2,
    ...                   seq_len=16, eval_blocks=2, hidden_size=32, num_layers=2,
    ...                   intermediate_size=64, per_device_train_batch_size=2,
    ...                   use_cpu=True, disable_tqdm=True)
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     stage = train_stage(None, tok, streams, cfg)
    >>> [p["step"] for p in stage.curve], sorted(stage.curve[-1]["loss"])
    ([0, 2, 4], ['go', 'python'])
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainerCallback

from steergraph.data.babel.corpus import Corpus
from steergraph.errors import InputError
from steergraph.llm.engines.hf_weights import quiet_weights
from steergraph.training.babel_config import BabelConfig

__all__ = [
    "BabelTrainer",
    "StageResult",
    "TokenStreams",
    "encode_corpus",
    "heldout_loss",
    "new_tiny_llama",
    "token_counts",
    "train_code_tokenizer",
    "train_stage",
]

EOS = "<|endoftext|>"


def train_code_tokenizer(
    corpus: Corpus, *, vocab_size: int = 2048, chars_per_language: int = 1_500_000
) -> Any:
    """A byte-level BPE trained on an equal share of each language's training text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    def sample() -> Iterator[str]:
        for lang in corpus.languages:
            budget = chars_per_language
            for text in corpus.texts(lang, "train"):
                if budget <= 0:
                    break
                yield text[:budget]
                budget -= len(text)

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS, "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(sample(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=EOS, bos_token=EOS, unk_token=EOS, pad_token="<pad>"
    )


@dataclass
class TokenStreams:
    """Each language's files tokenised and joined (end-of-text between files), per split."""

    train: dict[str, torch.Tensor]
    heldout: dict[str, torch.Tensor]

    @property
    def languages(self) -> list[str]:
        return list(self.train)

    def save(self, path: str | Path) -> Path:
        """Write both splits' streams to ``path`` (``torch.save``)."""
        torch.save({"train": self.train, "heldout": self.heldout}, path)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> TokenStreams:
        """Read streams :meth:`save` wrote (tensors only: ``weights_only``)."""
        data = torch.load(path, weights_only=True)
        return cls(data["train"], data["heldout"])

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            lang: {
                "train_tokens": int(self.train[lang].numel()),
                "heldout_tokens": int(self.heldout[lang].numel()),
            }
            for lang in self.languages
        }


def encode_corpus(corpus: Corpus, tok: Any) -> TokenStreams:
    """Tokenise every file of the corpus (see :class:`TokenStreams`)."""
    out: dict[str, dict[str, torch.Tensor]] = {"train": {}, "heldout": {}}
    for split in out:
        for lang in corpus.languages:
            ids: list[int] = []
            for text in corpus.texts(lang, split):
                ids.extend(tok(text, add_special_tokens=False)["input_ids"])
                ids.append(tok.eos_token_id)
            out[split][lang] = torch.tensor(ids, dtype=torch.long)
    return TokenStreams(out["train"], out["heldout"])


def token_counts(corpus: Corpus, tok: Any) -> dict[str, dict[str, int]]:
    """Tokens per language and split under ``tok``."""
    return encode_corpus(corpus, tok).counts()


def new_tiny_llama(tok: Any, cfg: BabelConfig, *, seed: int | None = None) -> Any:
    """A randomly initialised Llama of ``cfg``'s shape over ``tok``'s vocabulary."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(cfg.seed if seed is None else seed)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.seq_len,
        bos_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


class MixtureBlocks(torch.utils.data.IterableDataset):
    """Endless training blocks: a language drawn by the mixture, then a random window."""

    def __init__(
        self,
        streams: Mapping[str, torch.Tensor],
        mixture: Mapping[str, float],
        seq_len: int,
        seed: int,
    ) -> None:
        missing = sorted(set(mixture) - set(streams))
        if missing:
            raise InputError(
                f"the mixture names {missing}, which the corpus does not hold",
                fix=f"use languages of the corpus: {sorted(streams)}",
            )
        short = [lang for lang in mixture if streams[lang].numel() <= seq_len + 1]
        if short:
            raise InputError(
                f"{short}: fewer training tokens than one block of {seq_len}",
                fix="add files for these languages or lower seq_len",
            )
        self.streams, self.seq_len, self.seed = streams, seq_len, seed
        self.languages = list(mixture)
        self.weights = torch.tensor([float(mixture[k]) for k in self.languages])

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        gen = torch.Generator().manual_seed(self.seed)
        while True:
            lang = self.languages[int(torch.multinomial(self.weights, 1, generator=gen))]
            stream = self.streams[lang]
            start = int(torch.randint(0, stream.numel() - self.seq_len, (1,), generator=gen))
            block = stream[start : start + self.seq_len]
            yield {"input_ids": block, "labels": block.clone()}


@torch.no_grad()
def heldout_loss(
    model: Any, streams: Mapping[str, torch.Tensor], *, seq_len: int, blocks: int
) -> dict[str, float]:
    """Mean next-token loss per language on its first ``blocks`` held-out windows."""
    was_training = model.training
    model.eval()
    out: dict[str, float] = {}
    for lang, stream in streams.items():
        n = max(1, min(blocks, (stream.numel() - 1) // seq_len))
        rows = [stream[i * seq_len : (i + 1) * seq_len] for i in range(n)]
        batch = torch.stack([r for r in rows if r.numel() == seq_len] or [stream[:seq_len]])
        out[lang] = round(float(model(input_ids=batch, labels=batch).loss), 5)
    model.train(was_training)
    return out


class _EvalAndSnapshot(TrainerCallback):
    def __init__(self, trainer: BabelTrainer) -> None:
        self.trainer = trainer

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        step = state.global_step
        if step % args.eval_every == 0 or step == state.max_steps or step in args.early_evals:
            self.trainer.record(step)
        return control


class BabelTrainer(Trainer):
    """transformers' ``Trainer`` over :class:`MixtureBlocks`, recording a held-out curve.

    ``tokens_before`` is how many training tokens the model saw in earlier stages, so
    the curve's ``tokens`` axis runs across stages.
    """

    def __init__(
        self,
        model: Any,
        tok: Any,
        streams: TokenStreams,
        args: BabelConfig,
        *,
        tokens_before: int = 0,
    ) -> None:
        data = MixtureBlocks(streams.train, args.normalised_mixture(), args.seq_len, args.seed)
        super().__init__(model=model, args=args, train_dataset=data, processing_class=tok)
        self.streams, self.tokens_before = streams, tokens_before
        self.curve: list[dict[str, Any]] = []
        self.checkpoints: list[str] = []
        self.add_callback(_EvalAndSnapshot(self))

    def tokens_at(self, step: int) -> int:
        a = self.args
        return (
            self.tokens_before
            + step * a.per_device_train_batch_size * a.seq_len * a.gradient_accumulation_steps
        )

    def record(self, step: int) -> None:
        """Measure the held-out loss per language, save a checkpoint and the curve."""
        a = self.args
        tokens = self.tokens_at(step)
        loss = heldout_loss(
            self.model, self.streams.heldout, seq_len=a.seq_len, blocks=a.eval_blocks
        )
        ckpt = Path(a.output_dir) / f"ckpt-{tokens:09d}"
        with quiet_weights():
            self.model.save_pretrained(ckpt)
        self.processing_class.save_pretrained(ckpt)
        self.checkpoints.append(str(ckpt))
        self.curve.append(
            {
                "step": step,
                "tokens": tokens,
                "loss": loss,
                "checkpoint": str(ckpt),
                "mixture": a.normalised_mixture(),
            }
        )
        (Path(a.output_dir) / "curve.json").write_text(json.dumps(self.curve, indent=1))


@dataclass
class StageResult:
    """What one stage left: its curve, checkpoints and the final model folder."""

    curve: list[dict[str, Any]]
    checkpoints: list[str]
    final_dir: str
    tokens_after: int

    def final_loss(self) -> dict[str, float]:
        return dict(self.curve[-1]["loss"])


#: what a stopped stage must share with the run that goes on from its checkpoint
_RESUME_KEYS = ("max_steps", "mixture", "seed", "seq_len", "per_device_train_batch_size",
                "learning_rate", "hidden_size", "num_layers", "eval_every")  # fmt: skip


def train_stage(
    model: Any | None, tok: Any, streams: TokenStreams, cfg: BabelConfig, *, tokens_before: int = 0
) -> StageResult:
    """Train one stage (from scratch when ``model`` is None); checkpoint 0 is the start.
    A stage stopped part-way (its output folder holds a Trainer checkpoint) goes on from
    its last checkpoint: weights, optimizer, schedule and data position restored, the
    curve kept up to there."""
    if cfg.max_steps is None or cfg.max_steps <= 0:
        raise InputError("a pre-training stage needs max_steps > 0", fix="pass max_steps=N")
    from transformers.trainer_utils import get_last_checkpoint

    model = model if model is not None else new_tiny_llama(tok, cfg)
    trainer = BabelTrainer(model, tok, streams, cfg, tokens_before=tokens_before)
    out = Path(cfg.output_dir)
    last = get_last_checkpoint(str(out)) if cfg.resumable and out.is_dir() else None
    settings = {k: getattr(cfg, k) for k in _RESUME_KEYS} | {"tokens_before": tokens_before}
    if last is not None:  # a stopped stage: its curve up to the checkpoint, then on from it
        saved = json.loads((out / "stage_settings.json").read_text())
        if saved != json.loads(json.dumps(settings)):
            raise InputError(
                f"{out} holds a stopped stage run with other settings ({saved})",
                fix="run it again with the same settings, or delete the folder to start over",
            )
        step = int(Path(last).name.split("-")[-1])
        kept = [c for c in json.loads((out / "curve.json").read_text()) if c["step"] <= step]
        trainer.curve, trainer.checkpoints = kept, [c["checkpoint"] for c in kept]
        trainer.train(resume_from_checkpoint=last)
    else:
        out.mkdir(parents=True, exist_ok=True)
        (out / "stage_settings.json").write_text(json.dumps(settings))
        trainer.record(0)
        trainer.train()
    final = out / "final"
    with quiet_weights():
        trainer.save_model(str(final))
    tok.save_pretrained(final)
    for done in out.glob("checkpoint-*"):  # the resume points are no longer needed
        shutil.rmtree(done, ignore_errors=True)
    loss = trainer.curve[-1]["loss"]
    if any(not math.isfinite(v) for v in loss.values()):
        raise InputError(f"the held-out loss diverged: {loss}", fix="lower learning_rate")
    return StageResult(
        trainer.curve, trainer.checkpoints, str(final), trainer.tokens_at(cfg.max_steps)
    )
