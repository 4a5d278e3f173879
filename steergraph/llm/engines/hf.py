"""Batched generation and scoring over a transformers causal LM.

:class:`HFEngine` is the part of :class:`~steergraph.llm.local.LocalChatModel` that
talks to torch: one ``generate`` call for ``n`` samples (or for several prompts,
left-padded), grammar constraints through llguidance, stop strings, streaming, and
per-token log-probs of given responses in one padded forward pass. ``precision``
picks the inference copy ``generate`` decodes with (:mod:`steergraph.llm.engines.fast_copy`);
``score`` and training always use the plain model.

Example:
    >>> from steergraph.testing import tiny_causal_lm
    >>> model, tok = tiny_causal_lm()
    >>> engine = HFEngine(model, tok)
    >>> out = engine.generate(["hello"], n=2, max_new_tokens=4, temperature=1.0, seed=0)
    >>> len(out[0].texts)
    2
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import torch
from transformers import LogitsProcessorList, TextIteratorStreamer

from steergraph.errors import CapabilityError, EmptyPromptError
from steergraph.llm.constrained import ConstraintCache, GrammarLogitsProcessor
from steergraph.llm.engines.base import Generation, TokenLogprobs, cut_at_stop, eos_token_ids
from steergraph.llm.engines.fast_copy import FastCopy
from steergraph.llm.engines.sampling import RowProcessorAdapter, is_row_processor

__all__ = ["Generation", "HFEngine", "TokenLogprobs"]


class HFEngine:
    """Generation and scoring for one (model, tokenizer) pair; thread-safe."""

    name = "hf"

    def __init__(self, model: Any, tokenizer: Any, *, precision: str = "fp32") -> None:
        self.model = model
        self.fast = FastCopy(model, precision)
        self.tokenizer = tokenizer
        self.constraints = ConstraintCache()
        self.lock = threading.RLock()
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        self.eos_ids = eos_token_ids(tokenizer, gen_eos)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def encode(self, prompts: list[str]) -> dict[str, torch.Tensor]:
        """Tokenize prompts left-padded (the template already holds special tokens)."""
        self.tokenizer.padding_side = "left"
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        return {k: v.to(self.device) for k, v in enc.items()}

    def _gen_kwargs(
        self,
        n: int,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        stop: list[str] | None,
        repetition_penalty: float = 1.0,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "num_return_sequences": n,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.eos_ids,
        }
        if repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = repetition_penalty
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=top_p, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        return kwargs

    def _processors(
        self, grammar: Any, rows: int, prompt_len: int, extra: list[Any] | None,
        pads: list[int] | None = None,
    ) -> LogitsProcessorList:  # fmt: skip
        pads = pads or [0] * rows
        procs = LogitsProcessorList(
            RowProcessorAdapter(p, pads) if is_row_processor(p) else p for p in extra or []
        )
        if grammar is not None and not isinstance(grammar, str):
            raise CapabilityError(
                "GBNF grammars run on the llama.cpp engine only",
                fix="use a Lark grammar (with_grammar(..., syntax='lark')) or a 'local+gguf:' "
                "model",
            )
        if grammar is not None:
            matchers = [self.constraints.matcher(self.tokenizer, grammar) for _ in range(rows)]
            procs.append(GrammarLogitsProcessor(matchers, prompt_len, self.eos_ids[0]))
        return procs

    def generate(
        self,
        prompts: list[str],
        *,
        n: int = 1,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        repetition_penalty: float = 1.0,
        stop: list[str] | None = None,
        grammar: str | None = None,
        logits_processors: list[Any] | None = None,
        seed: int | None = None,
    ) -> list[Generation]:
        """Generate ``n`` continuations of each prompt in one batched ``generate`` call."""
        with self.lock, torch.inference_mode():
            if seed is not None:
                torch.manual_seed(seed)
            enc = self.encode(prompts)
            prompt_len = enc["input_ids"].shape[1]
            real = enc["attention_mask"].sum(dim=1).tolist()  # left padding per prompt
            pads = [prompt_len - int(real[r // n]) for r in range(len(prompts) * n)]
            procs = self._processors(grammar, len(prompts) * n, prompt_len, logits_processors, pads)
            out = self.fast.get().generate(
                **enc,
                logits_processor=procs,
                **self._gen_kwargs(n, max_new_tokens, temperature, top_p, stop, repetition_penalty),
            )
        new = out[:, prompt_len:]
        results: list[Generation] = []
        for p_idx in range(len(prompts)):
            prompt_tokens = int(enc["attention_mask"][p_idx].sum())
            texts, counts, reasons, hits = [], [], [], []
            for row in new[p_idx * n : (p_idx + 1) * n]:
                ids = row.tolist()
                ended = next((i for i, t in enumerate(ids) if t in self.eos_ids), None)
                kept = ids if ended is None else ids[:ended]
                text = self.tokenizer.decode(kept, skip_special_tokens=True)
                text, hit_stop = cut_at_stop(text, stop)
                texts.append(text)
                counts.append(len(kept) + (0 if ended is None else 1))
                reasons.append("stop" if ended is not None or hit_stop else "length")
                hits.append(hit_stop)
            results.append(Generation(texts, counts, prompt_tokens, reasons, hits))
        return results

    def stream(
        self,
        prompt: str,
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        repetition_penalty: float = 1.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        logits_processors: list[Any] | None = None,
    ) -> Iterator[str]:
        """Yield text pieces of one continuation as they are decoded."""
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        enc = self.encode([prompt])
        kwargs = self._gen_kwargs(1, max_new_tokens, temperature, top_p, stop, repetition_penalty)
        prompt_len = enc["input_ids"].shape[1]
        kwargs["logits_processor"] = self._processors(None, 1, prompt_len, logits_processors)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with self.lock, torch.inference_mode():
                    if seed is not None:
                        torch.manual_seed(seed)
                    self.fast.get().generate(**enc, streamer=streamer, **kwargs)
            except BaseException as exc:  # surfaced in the consumer thread below
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        emitted = ""
        for piece in streamer:
            emitted += piece
            cut, hit = cut_at_stop(emitted, stop)
            if hit:
                yield cut[len(emitted) - len(piece) :]
                break
            yield piece
        thread.join()
        if errors:
            raise errors[0]

    def score(self, prompt: str, responses: list[str]) -> list[TokenLogprobs]:
        """Per-token log-probs of each response after ``prompt`` (one padded forward)."""
        tok = self.tokenizer
        prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        if not prompt_ids:
            raise EmptyPromptError("cannot score under an empty prompt", fix="pass messages")
        resp_ids = [tok(r, add_special_tokens=False)["input_ids"] for r in responses]
        width = len(prompt_ids) + max((len(r) for r in resp_ids), default=0)
        pad = tok.pad_token_id
        input_ids = torch.full((len(responses), width), pad, dtype=torch.long)
        mask = torch.zeros((len(responses), width), dtype=torch.long)
        for i, ids in enumerate(resp_ids):  # right padding keeps positions identical
            seq = prompt_ids + ids
            input_ids[i, : len(seq)] = torch.tensor(seq)
            mask[i, : len(seq)] = 1
        with self.lock, torch.inference_mode():
            logits = self.model(
                input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device)
            ).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        out = []
        start = len(prompt_ids)
        for i, ids in enumerate(resp_ids):
            targets = torch.tensor(ids, dtype=torch.long, device=logprobs.device)
            rows = logprobs[i, start - 1 : start - 1 + len(ids)]
            values = rows.gather(1, targets[:, None])[:, 0].tolist() if ids else []
            out.append(TokenLogprobs(ids, tok.convert_ids_to_tokens(ids), values))
        return out
