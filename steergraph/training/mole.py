"""MOLE's evaluator: a MiniLM encoder with one head per quality facet, trained jointly on
human ratings (regression) and counterfactual pairs (contrastive margin).

Paper: Zheng et al., 2024, "Multi-Facet Counterfactual Learning for Content Quality
Evaluation" (MOLE, arXiv:2410.07693). The bundled all-MiniLM-L6-v2 (sentence-transformers)
stays frozen and its outputs are cached per text: the source's sentence embedding ``u`` (its
first ``source_tokens`` tokens: articles are longer than the encoder's window; the
truncation is stated in every report) and the text's contextual token embeddings (first
``text_tokens`` tokens), which one trainable transformer layer reads and mean-pools into
``v`` (word order and grammar live in the token states; a pooled frozen embedding hardly
moves when sentences are shuffled). The evaluator also reads the source token by token:
the article's contextual token states (windows of the encoder's length, up to
``align_tokens`` tokens) give each text token its best cosine match in the source (a
BERTScore-style alignment, computed on the frozen states), added to the token's state
through a learned direction before the trainable layer, so the layer sees which words the
source does not support; the alignment's precision, recall and F1 join the pooled
features. ``[u, v, u*v, |u-v|, P, R, F]`` feeds a shared layer and one sigmoid head per
facet (scores mapped from 1-5 to 0-1); ``align_tokens=0`` turns the alignment off.
Fine-tuning the whole encoder was measured and not adopted: about 19 s per step of 80
texts on 2 cores, against well under a second here. The loss is

* supervised: mean squared error to the human score of every facet;
* contrastive: ``max(0, margin - (s_f(original) - s_f(counterfactual)))`` on the facet the
  counterfactual made worse, plus ``invariance * |s_g(original) - s_g(counterfactual)|``
  on the facets it left alone.

``contrastive_weight=0`` is the supervised-only baseline, ``single_score=True`` the
one-head baseline (every facet predicted by one head trained on the mean rating). No
TRL trainer regresses several heads on pairs, so the loop is a plain torch loop (AdamW,
shuffled mini-batches, a tqdm bar); sentence-transformers gives the encoder and
tokenisation.

Example:
    >>> MoleConfig(epochs=2).facets
    ('coherence', 'consistency', 'fluency', 'relevance')
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from steergraph.agents.mole.facets import sentences as _sentences
from steergraph.data.mole.summeval import FACETS, SummaryRow, check_facet
from steergraph.errors import InputError, InputFileError

__all__ = ["MoleConfig", "MoleEvaluator", "train_mole"]

_CONFIG_FILE = "mole_config.json"
#: frozen encoder outputs by (kind, tokens, text), shared by every evaluator in the process
#: (the baselines train on the same texts)
_FROZEN: dict[tuple[str, int, str], Any] = {}
_HEADS_FILE = "heads.pt"


@dataclass
class MoleConfig:
    """Training settings (CPU defaults: a few minutes on SummEval's training split)."""

    facets: tuple[str, ...] = FACETS
    contrastive_weight: float = 0.1
    margin: float = 0.1
    invariance: float = 0.1
    single_score: bool = False
    epochs: int = 8
    batch_size: int = 16
    learning_rate: float = 5e-4
    hidden: int = 256
    text_tokens: int = 128
    source_tokens: int = 256
    align_tokens: int = 1024
    seed: int = 0
    progress: bool = False

    def __post_init__(self) -> None:
        self.facets = tuple(check_facet(f) for f in self.facets)
        if self.epochs < 1 or self.batch_size < 1:
            raise InputError(
                f"epochs={self.epochs}, batch_size={self.batch_size}", fix="use 1 or more"
            )


def _encoder() -> Any:
    from steergraph.llm.embeddings import minilm_model

    return minilm_model()


class MoleEvaluator:
    """Scores ``(source, text)`` per facet on SummEval's 1-5 scale."""

    def __init__(self, config: MoleConfig | None = None, *, encoder: Any = None) -> None:
        import torch
        from torch import nn

        self.config = config or MoleConfig()
        self.encoder = encoder or _encoder()
        dim = self.encoder.get_embedding_dimension()
        outputs = 1 if self.config.single_score else len(self.config.facets)
        torch.manual_seed(self.config.seed)
        self.mixer = nn.TransformerEncoderLayer(
            dim, nhead=4, dim_feedforward=2 * dim, dropout=0.1, batch_first=True
        )
        self.align = nn.Linear(1, dim)
        hidden = self.config.hidden
        extra = 3 if self.config.align_tokens else 0
        self.heads = nn.Sequential(
            nn.Linear(4 * dim + extra, hidden), nn.GELU(), nn.Linear(hidden, outputs)
        )

    def parameters(self) -> list[Any]:
        """The trainable parameters (the encoder stays frozen)."""
        return [*self.mixer.parameters(), *self.align.parameters(), *self.heads.parameters()]

    def train(self, mode: bool = True) -> None:
        """Dropout on (training) or off."""
        self.mixer.train(mode)
        self.align.train(mode)
        self.heads.train(mode)

    # ------------------------------------------------------------------ encoding
    def _frozen(self, texts: Sequence[str], kind: str) -> list[Any]:
        """Frozen encoder outputs, cached: ``kind`` "source" (sentence embedding) or
        "text" (token embeddings)."""
        import torch

        if kind == "source_tokens":
            return self._source_tokens(texts)
        tokens = self.config.source_tokens if kind == "source" else self.config.text_tokens
        todo = sorted({t for t in texts if (kind, tokens, t) not in _FROZEN})
        if todo:
            value = "sentence_embedding" if kind == "source" else "token_embeddings"
            keep = self.encoder.max_seq_length
            self.encoder.max_seq_length = tokens
            try:
                with torch.no_grad():
                    outs = self.encoder.encode(
                        todo, output_value=value, batch_size=32, convert_to_numpy=False,
                        show_progress_bar=self.config.progress and len(todo) > 64,
                    )  # fmt: skip
            finally:
                self.encoder.max_seq_length = keep
            _FROZEN.update(((kind, tokens, t), o.detach().cpu()) for t, o in zip(todo, outs))
        return [_FROZEN[(kind, tokens, t)] for t in texts]

    def _source_tokens(self, sources: Sequence[str]) -> list[Any]:
        """Unit-length token states of each source, read in windows of the encoder's
        length (sentences packed whole), up to ``align_tokens`` tokens."""
        import torch

        cap = self.config.align_tokens
        todo = sorted({s for s in sources if ("source_tokens", cap, s) not in _FROZEN})
        # about 1.3 word-piece tokens per English word: windows of 0.6 x the encoder's
        # length in words stay inside it (the encoder truncates any overflow)
        window = max(16, int(self.encoder.max_seq_length * 0.6))
        for source in todo:
            pieces, current, used, total = [], [], 0, 0
            for sentence in _sentences(source):
                n = len(sentence.split())
                if current and used + n > window:
                    pieces.append(" ".join(current))
                    current, used = [], 0
                current.append(sentence)
                used += n
                total += n
                if total * 1.3 >= cap:
                    break
            if current or not pieces:  # a source without sentences is read as it is
                pieces.append(" ".join(current) or source)
            with torch.no_grad():
                outs = self.encoder.encode(
                    pieces, output_value="token_embeddings", batch_size=16,
                    convert_to_numpy=False, show_progress_bar=False,
                )  # fmt: skip
            states = torch.cat([o.detach().cpu() for o in outs])[:cap]
            _FROZEN[("source_tokens", cap, source)] = torch.nn.functional.normalize(states, dim=-1)
        return [_FROZEN[("source_tokens", cap, s)] for s in sources]

    def _alignment(self, sources: Sequence[str], states: Sequence[Any]) -> tuple[Any, Any]:
        """Per text token its best cosine match in its source (padded ``[n, L]``), and
        the text's alignment precision, recall and F1 (``[n, 3]``)."""
        import torch
        from torch.nn.utils.rnn import pad_sequence

        best, stats = [], []
        for source_states, text_states in zip(self._source_tokens(sources), states):
            sim = torch.nn.functional.normalize(text_states, dim=-1) @ source_states.T
            per_token = sim.max(dim=1).values
            precision, recall = per_token.mean(), sim.max(dim=0).values.mean()
            f1 = 2 * precision * recall / (precision + recall).clamp_min(1e-6)
            best.append(per_token)
            stats.append(torch.stack([precision, recall, f1]))
        return pad_sequence(best, batch_first=True), torch.stack(stats)

    def scores01(self, sources: Sequence[str], texts: Sequence[str]) -> Any:
        """Per-facet scores in [0, 1] (a tensor ``[n, facets]``, differentiable)."""
        import torch
        from torch.nn.utils.rnn import pad_sequence

        u = torch.stack(self._frozen(sources, "source"))
        states = self._frozen(texts, "text")
        padded = pad_sequence(states, batch_first=True)
        lengths = torch.tensor([len(s) for s in states])
        pad = torch.arange(padded.shape[1])[None, :] >= lengths[:, None]
        features = []
        if self.config.align_tokens:
            per_token, stats = self._alignment(sources, states)
            padded = padded + self.align(per_token[..., None])
            features.append(stats)
        mixed = self.mixer(padded, src_key_padding_mask=pad)
        v = (mixed * (~pad)[..., None]).sum(1) / lengths[:, None]
        pooled = torch.cat([u, v, u * v, (u - v).abs(), *features], dim=-1)
        out = torch.sigmoid(self.heads(pooled))
        if self.config.single_score:
            out = out.expand(-1, len(self.config.facets))
        return out

    def score(
        self, sources: Sequence[str], texts: Sequence[str], batch_size: int = 32
    ) -> list[dict[str, float]]:
        """Per-facet scores on the 1-5 scale, one dict per text."""
        import torch

        if len(sources) != len(texts):
            raise InputError(f"{len(sources)} sources for {len(texts)} texts", fix="pair them")
        empty = [i for i, t in enumerate(texts) if not str(t).strip()]
        if empty:
            raise InputError(f"text {empty[0]} is empty", fix="score only non-empty texts")
        self.train(False)
        out: list[dict[str, float]] = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                block = self.scores01(
                    sources[start : start + batch_size], texts[start : start + batch_size]
                )
                out += [
                    {f: 1 + 4 * float(v) for f, v in zip(self.config.facets, row)} for row in block
                ]
        return out

    # ---------------------------------------------------------------- persistence
    def save(self, folder: str | Path) -> Path:
        """Write the trained layers and the config into ``folder`` (the frozen encoder is
        the bundled MiniLM and is not copied)."""
        import torch

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        weights = {
            "mixer": self.mixer.state_dict(),
            "align": self.align.state_dict(),
            "heads": self.heads.state_dict(),
        }
        torch.save(weights, out / _HEADS_FILE)
        (out / _CONFIG_FILE).write_text(json.dumps({"config": asdict(self.config)}, indent=2))
        return out

    @classmethod
    def load(cls, folder: str | Path) -> MoleEvaluator:
        """An evaluator saved by :meth:`save`."""
        import torch

        path = Path(folder)
        if not (path / _CONFIG_FILE).is_file():
            raise InputFileError(
                f"{path} holds no MOLE evaluator", fix="train one: steergraph mole train"
            )
        saved = json.loads((path / _CONFIG_FILE).read_text())["config"]
        saved.setdefault("align_tokens", 0)  # saved before the alignment existed
        config = MoleConfig(**saved)
        model = cls(config)
        weights = torch.load(path / _HEADS_FILE, weights_only=True)
        model.mixer.load_state_dict(weights["mixer"])
        if "align" in weights:
            model.align.load_state_dict(weights["align"])
        model.heads.load_state_dict(weights["heads"])
        return model


def _targets(rows: Sequence[SummaryRow], config: MoleConfig) -> list[list[float]]:
    return [[(row.scores[f] - 1) / 4 for f in config.facets] for row in rows]


def train_mole(
    rows: Sequence[SummaryRow],
    counterfactuals: Sequence[dict[str, Any]] = (),
    config: MoleConfig | None = None,
) -> tuple[MoleEvaluator, list[dict[str, float]]]:
    """Train an evaluator; return it and the mean losses of each epoch.

    ``counterfactuals`` are records of the counterfactual graph (``source``,
    ``original``, ``text``, ``facet``); those without text or on facets outside
    ``config.facets`` are skipped (and counted in the history).
    """
    import torch
    from tqdm.auto import tqdm

    config = config or MoleConfig()
    if not rows:
        raise InputError("no rated summaries to train on", fix="pass SummEval training rows")
    pairs = [c for c in counterfactuals if c.get("text") and c.get("facet") in config.facets]
    model = MoleEvaluator(config)
    model._frozen([r.source for r in rows] + [c["source"] for c in pairs], "source")
    model._frozen(
        [r.text for r in rows] + [c[k] for c in pairs for k in ("original", "text")], "text"
    )
    optim = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    rng = random.Random(config.seed)
    targets = _targets(rows, config)
    index = {f: i for i, f in enumerate(config.facets)}
    history = []
    for epoch in range(config.epochs):
        model.train()
        order = list(range(len(rows)))
        rng.shuffle(order)
        pair_order = list(range(len(pairs)))
        rng.shuffle(pair_order)
        steps = max(1, -(-len(order) // config.batch_size))
        per_step = -(-len(pair_order) // steps) if pairs else 0
        totals = {"supervised": 0.0, "contrastive": 0.0}
        bar = tqdm(range(steps), desc=f"MOLE epoch {epoch + 1}/{config.epochs}", leave=False,
                   disable=not config.progress)  # fmt: skip
        for step in bar:
            picked = order[step * config.batch_size : (step + 1) * config.batch_size]
            batch = [rows[i] for i in picked]
            want = torch.tensor([targets[i] for i in picked])
            pred = model.scores01([r.source for r in batch], [r.text for r in batch])
            if config.single_score:
                loss_sup = ((pred[:, 0] - want.mean(dim=1)) ** 2).mean()
            else:
                loss_sup = ((pred - want) ** 2).mean()
            loss = loss_sup
            chunk = [pairs[i] for i in pair_order[step * per_step : (step + 1) * per_step]]
            loss_con = torch.zeros(())
            if chunk and config.contrastive_weight > 0:
                sources = [c["source"] for c in chunk] * 2
                texts = [c["original"] for c in chunk] + [c["text"] for c in chunk]
                both = model.scores01(sources, texts)
                good, bad = both[: len(chunk)], both[len(chunk) :]
                changed = torch.tensor([index[c["facet"]] for c in chunk])
                mask = torch.nn.functional.one_hot(changed, len(config.facets)).bool()
                gap = (good - bad)[mask]
                loss_con = torch.relu(config.margin - gap).mean()
                if len(config.facets) > 1 and not config.single_score:
                    loss_con = loss_con + config.invariance * (good - bad)[~mask].abs().mean()
                loss = loss + config.contrastive_weight * loss_con
            optim.zero_grad()
            loss.backward()
            optim.step()
            totals["supervised"] += float(loss_sup.detach())
            totals["contrastive"] += float(loss_con.detach())
        history.append({k: round(v / steps, 5) for k, v in totals.items()} | {"epoch": epoch + 1})
    model.train(False)
    return model, history
