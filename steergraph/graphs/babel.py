"""Babel Tower as a LangGraph graph: build corpus -> train stage -> probe -> decide next
mixture (loop) -> report.

``build`` collects the corpora (:func:`~steergraph.data.babel.build_corpus`; the
machine's own code by default, or ``sources``), trains the tokenizer and writes both
into ``out_dir`` (reused when there); ``train`` runs the plan's next stage
(:func:`~steergraph.training.babel_trainer.train_stage`, from scratch or from an
earlier stage's model; a stage whose folder already holds a final model is read back,
not retrained); ``probe`` reads every checkpoint of a probed stage: the logit-lens
working language and LAPE's neurons on held-out code; ``decide`` appends the mixture
comparison once the continued stages are done (its mixture from their loss curves,
:mod:`~steergraph.agents.babel.stages`) and loops back to ``train`` while stages remain;
``report`` writes ``report.json``. The corpus is tokenised once, by ``build``
(``tokens.pt``); every stage reads those streams. Settings arrive through
:class:`BabelContext`; pass ``checkpointer=`` to resume a stopped run by thread.

Example (two tiny languages, a few steps per stage):
    >>> import contextlib, io, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> for lang, ext, line in (("py", ".py", "def f(x):\\n    return x + {i}\\n"),
    ...                         ("go", ".go", "func f(x int) int {{ return x + {i} }}\\n")):
    ...     (tmp / lang).mkdir()
    ...     for i in range(6):
    ...         _ = (tmp / lang / f"f{i}{ext}").write_text(line.format(i=i) * 40)
    >>> ctx = BabelContext(primary_steps=4, continued_steps=4, mixture_steps=2, eval_every=2,
    ...                    vocab_size=300, seq_len=32, batch_size=2, hidden_size=32,
    ...                    num_layers=2, intermediate_size=64, probe_texts=2, min_chars=50)
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     out = build_babel_graph().invoke(
    ...         {"out_dir": str(tmp / "run"), "languages": ["python", "go"],
    ...          "sources": {"python": [str(tmp / "py")], "go": [str(tmp / "go")]}},
    ...         context=ctx)
    >>> [s["name"] for s in out["stages"]]  # doctest: +NORMALIZE_WHITESPACE
    ['python', 'python>go', 'go-scratch', 'mix-optimised', 'mix-uniform', 'mix-original']
    >>> len(out["probes"]), out["report"]["l2"], (tmp / "run" / "report.json").is_file()
    (3, 'go', True)
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NotRequired

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from steergraph.llm.engines.hf_weights import quiet_weights

__all__ = [
    "BabelContext",
    "BabelState",
    "build",
    "build_babel_graph",
    "decide",
    "probe",
    "report",
    "train",
]


@dataclass
class BabelContext:
    """Sizes of the run: steps per stage, the tiny model's shape, the probes' inputs."""

    primary_steps: int = 600
    continued_steps: int = 600
    mixture_steps: int = 600
    eval_every: int = 50
    vocab_size: int = 2048
    seq_len: int = 128
    batch_size: int = 16
    hidden_size: int = 128
    num_layers: int = 4
    intermediate_size: int = 384
    learning_rate: float = 2e-3
    max_files: int | None = 600
    min_chars: int = 200
    probe_texts: int = 8
    early_evals: tuple[int, ...] = (5, 10, 20, 35)  # continued stages: dense at the start
    lape_top_rate: float = 0.05  # a tiny model has few neurons: the anchor's 1 % is ~15
    stable_fraction: float = 0.1
    #: HumanEval test problems each Python-trained model's pass@1 is measured on (0: none)
    pass_problems: int = 5
    seed: int = 0
    progress: bool = False


class BabelState(TypedDict):
    """Inputs: ``out_dir``, ``languages`` (the primary first), optional ``sources``
    (language -> folders); the run adds the corpus counts, the plan, each stage's record,
    the probes and the report."""

    out_dir: str
    languages: list[str]
    sources: NotRequired[dict[str, list[str]]]
    corpus: NotRequired[dict[str, Any]]
    plan: NotRequired[list[dict[str, Any]]]
    stages: Annotated[list[dict[str, Any]], operator.add]
    probes: Annotated[list[dict[str, Any]], operator.add]
    report: NotRequired[dict[str, Any]]


def _ctx(runtime: Runtime[BabelContext]) -> BabelContext:
    return runtime.context or BabelContext()


def _corpus(state: BabelState) -> Any:
    from steergraph.data.babel import load_corpus

    return load_corpus(Path(state["out_dir"]) / "corpus")


def build(state: BabelState, runtime: Runtime[BabelContext]) -> dict[str, Any]:
    """Collect and split the corpora, train the tokenizer; plan the first stages."""
    from transformers import AutoTokenizer

    from steergraph.agents.babel.experiment import initial_plan
    from steergraph.data.babel import build_corpus, default_sources, load_corpus
    from steergraph.training.babel_trainer import encode_corpus, train_code_tokenizer

    ctx = _ctx(runtime)
    plan = initial_plan(state["languages"], primary_steps=ctx.primary_steps,
                        continued_steps=ctx.continued_steps)  # fmt: skip
    out = Path(state["out_dir"])
    if (out / "corpus" / "manifest.json").is_file():
        corpus = load_corpus(out / "corpus")
    else:
        given = state.get("sources")
        sources = given if given else default_sources(state["languages"])
        corpus = build_corpus(sources, max_files=ctx.max_files, min_chars=ctx.min_chars,
                              skip_binary=not given, seed=ctx.seed)  # fmt: skip
        corpus.save(out / "corpus")
    if (out / "tokenizer" / "tokenizer.json").is_file():
        tok = AutoTokenizer.from_pretrained(out / "tokenizer")
    else:
        tok = train_code_tokenizer(corpus, vocab_size=ctx.vocab_size)
        tok.save_pretrained(out / "tokenizer")
    streams = encode_corpus(corpus, tok)
    streams.save(out / "tokens.pt")
    stats = corpus.stats()
    for lang, counts in streams.counts().items():
        stats[lang].update(counts)
    return {"corpus": stats, "plan": plan}


def _stage_config(spec: dict[str, Any], folder: Path, ctx: BabelContext) -> Any:
    from steergraph.training.babel_config import BabelConfig

    return BabelConfig(output_dir=str(folder), mixture=spec["mixture"], max_steps=spec["steps"],
                       eval_every=ctx.eval_every, seq_len=ctx.seq_len,
                       per_device_train_batch_size=ctx.batch_size, hidden_size=ctx.hidden_size,
                       num_layers=ctx.num_layers, intermediate_size=ctx.intermediate_size,
                       learning_rate=ctx.learning_rate, seed=ctx.seed, use_cpu=True,
                       disable_tqdm=not ctx.progress,
                       warmup_steps=min(20, max(1, spec["steps"] // 10)),
                       early_evals=tuple(s for s in ctx.early_evals if s < ctx.eval_every)
                       if spec["init"] is not None else ())  # fmt: skip


def train(state: BabelState, runtime: Runtime[BabelContext]) -> dict[str, Any]:
    """Run the next stage of the plan (or read back one a stopped run finished)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from steergraph.training.babel_trainer import TokenStreams, train_stage

    ctx = _ctx(runtime)
    spec, rest = state["plan"][0], state["plan"][1:]
    out = Path(state["out_dir"])
    folder = out / "stages" / spec["name"].replace(">", "-to-")
    record_file = folder / "stage.json"
    if record_file.is_file():
        return {"stages": [json.loads(record_file.read_text())], "plan": rest}
    tok = AutoTokenizer.from_pretrained(out / "tokenizer")
    done = {s["name"]: s for s in state.get("stages", [])}
    model, before = None, 0
    if spec["init"] is not None:
        with quiet_weights():
            model = AutoModelForCausalLM.from_pretrained(done[spec["init"]]["final_dir"])
        before = done[spec["init"]]["tokens_after"]
    result = train_stage(model, tok, TokenStreams.load(out / "tokens.pt"),
                         _stage_config(spec, folder, ctx), tokens_before=before)  # fmt: skip
    record = {**spec, "curve": result.curve, "checkpoints": result.checkpoints,
              "final_dir": result.final_dir, "tokens_after": result.tokens_after}  # fmt: skip
    record_file.write_text(json.dumps(record, indent=1))
    return {"stages": [record], "plan": rest}


def probe(state: BabelState, runtime: Runtime[BabelContext]) -> dict[str, Any]:
    """Probe every checkpoint of the stage just trained, when the plan asks for it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from steergraph.agents.babel.experiment import middle_share
    from steergraph.agents.babel.probe import probe_inputs, probe_model

    stage = state["stages"][-1]
    if not stage.get("probe"):
        return {}
    ctx = _ctx(runtime)
    langs = [state["languages"][0], stage["language"]]
    tok = AutoTokenizer.from_pretrained(Path(state["out_dir"]) / "tokenizer")
    inputs = probe_inputs(tok, _corpus(state), langs, heldout_files=ctx.probe_texts)
    rows = []
    for point in stage["curve"]:
        with quiet_weights():
            model = AutoModelForCausalLM.from_pretrained(point["checkpoint"])
        shares, found = probe_model(model, tok, inputs, top_rate=ctx.lape_top_rate)
        rows.append({"stage": stage["name"], "tokens": point["tokens"], "shares": shares,
                     "middle": {k: middle_share(v) for k, v in shares.items()},
                     "neurons": {k: found.total(k) for k in langs},
                     "neurons_per_layer": found.counts,
                     "transferring": {langs[1]: found.total_transferring(langs[1])}})  # fmt: skip
    return {"probes": rows}


def decide(state: BabelState, runtime: Runtime[BabelContext]) -> dict[str, Any]:
    """Once the continued stages are done, plan the mixture comparison from their curves."""
    from steergraph.agents.babel.experiment import mixture_plan, token_needs

    names = {s["name"] for s in state.get("stages", [])}
    if state.get("plan") or any(n.startswith("mix-") for n in names):
        return {}
    ctx = _ctx(runtime)
    stages = {s["name"]: s for s in state["stages"]}
    needs = token_needs(stages, state["languages"], stable_fraction=ctx.stable_fraction)
    train_tokens = {k: v["train_tokens"] for k, v in state["corpus"].items()}
    return {"plan": mixture_plan(needs, train_tokens, ctx.mixture_steps)}


def next_step(state: BabelState) -> str:
    """Train while stages remain, else report."""
    return "train" if state.get("plan") else "report"


def report(state: BabelState, runtime: Runtime[BabelContext]) -> dict[str, Any]:
    """The figures (:func:`~steergraph.agents.babel.experiment.figures`), Python pass@1 of
    the Python-trained models when Python is the primary language, and report.json (the
    picture is :func:`steergraph.viz.babel.plot_babel`'s, drawn by the bench)."""
    from steergraph.agents.babel.experiment import figures

    stages = {s["name"]: s for s in state["stages"]}
    result = figures(stages, state.get("probes", []), state["languages"])
    ctx = _ctx(runtime)
    if state["languages"][0] == "python" and ctx.pass_problems > 0:
        result["python_pass1"] = _pass1(stages, ctx.pass_problems)
    result["corpus"] = state.get("corpus", {})
    out = Path(state["out_dir"])
    (out / "report.json").write_text(json.dumps({**result, "probes": state.get("probes", [])},
                                                indent=1))  # fmt: skip
    return {"report": result}


def _pass1(stages: dict[str, Any], n: int) -> dict[str, Any]:
    """pass@1 on the first ``n`` HumanEval test problems of each model trained on Python."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from steergraph.agents.babel.passk import python_pass1
    from steergraph.data.verify.humaneval import humaneval_split, load_humaneval

    problems = humaneval_split(load_humaneval())[1][:n]
    out = {}
    for name in ("python", "mix-optimised", "mix-uniform", "mix-original"):
        if name in stages:
            with quiet_weights():
                model = AutoModelForCausalLM.from_pretrained(stages[name]["final_dir"])
            tok = AutoTokenizer.from_pretrained(stages[name]["final_dir"])
            out[name] = python_pass1(model, tok, problems)["pass1"]
    return out


def build_babel_graph(checkpointer: Any = None) -> Any:
    """Wire the Babel Tower run (see the module docstring)."""
    g = StateGraph(BabelState, context_schema=BabelContext)
    for name, node in (("build", build), ("train", train), ("probe", probe),
                       ("decide", decide), ("report", report)):  # fmt: skip
        g.add_node(name, node)
    g.add_edge(START, "build")
    g.add_edge("build", "train")
    g.add_edge("train", "probe")
    g.add_edge("probe", "decide")
    g.add_conditional_edges("decide", next_step, {"train": "train", "report": "report"})
    g.add_edge("report", END)
    # three super-steps per stage: more stages than langgraph's default limit of 25 allows
    return g.compile(checkpointer=checkpointer).with_config(recursion_limit=200)
