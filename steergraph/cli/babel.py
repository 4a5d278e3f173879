"""``steergraph babel ...``: multilingual code corpora, probes of any causal LM, the
staged pre-training run.

Example:
    $ steergraph babel corpus --languages python,go,javascript --out runs/babel-corpus
    $ steergraph babel probe smollm2 --corpus runs/babel-corpus --languages python,javascript
    $ steergraph babel bench --quick                   # the whole run, final JSON line
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["babel_app"]

babel_app = typer.Typer(
    help="Babel Tower: how a code model's languages share, then split, their knowledge "
    "(logit-lens working language, LAPE neurons, staged tiny pre-training, corpus mixtures).",
    no_args_is_help=True,
)
console = Console(stderr=True)


def _languages(text: str) -> list[str]:
    langs = [x.strip() for x in text.split(",") if x.strip()]
    if len(langs) < 2:
        raise InputError(f"--languages {text!r} names {len(langs)} language(s)",
                         fix="name two or more, the primary first: python,go")  # fmt: skip
    return langs


def _sources(pairs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        lang, sep, folder = pair.partition("=")
        if not sep or not lang or not folder:
            raise InputError(
                f"--source {pair!r}", fix="write LANG=FOLDER, e.g. go=/usr/share/go-1.19/src"
            )
        out.setdefault(lang, []).append(folder)
    return out


@babel_app.command("corpus")
def corpus(
    out: Annotated[Path, typer.Option(help="folder for the corpus (jsonl + manifest)")] = Path(
        "babel-corpus"
    ),
    languages: Annotated[str, typer.Option(help="comma-separated, primary first")] = (
        "python,go,javascript"
    ),
    source: Annotated[
        list[str], typer.Option(help="LANG=FOLDER (repeatable); default: this machine's own code")
    ] = [],  # noqa: B006
    max_files: Annotated[int, typer.Option(help="files kept per language")] = 1500,
) -> None:
    """Collect real code per language, deduplicate, split by file; print the counts."""
    from steergraph.data.babel import build_corpus, default_sources

    langs = _languages(languages)
    given = _sources(source)
    sources = {lang: given.get(lang) or default_sources([lang])[lang] for lang in langs}
    built = build_corpus(sources, max_files=max_files, skip_binary=not given)
    built.save(out)
    print(json.dumps({"out": str(out), "stats": built.stats()}))


@babel_app.command("probe")
def probe(
    model: Annotated[
        str,
        typer.Argument(
            help="an embedded model (smollm2, gemma3) or a transformers causal-LM folder"
        ),
    ],
    corpus: Annotated[Path, typer.Option(help="a folder written by `babel corpus`")],
    languages: Annotated[
        str, typer.Option(help="two languages of the corpus, the primary first")
    ] = "python,javascript",
    texts: Annotated[int, typer.Option(help="held-out files per language")] = 4,
    max_tokens: Annotated[int, typer.Option(help="tokens read from each file")] = 256,
) -> None:
    """Working language per layer (on the second language's code) and LAPE neurons."""
    from steergraph.agents.babel.probe import probe_inputs, probe_model
    from steergraph.data.babel import load_corpus
    from steergraph.llm.engines.hf_weights import load_hf_model

    langs = _languages(languages)
    data = load_corpus(corpus)
    missing = sorted(set(langs) - set(data.languages))
    if missing:
        raise InputError(f"the corpus has no {missing}", fix=f"use {', '.join(data.languages)}")
    hf, tok, label = load_hf_model(model)
    inputs = probe_inputs(tok, data, langs, heldout_files=texts)
    shares, found = probe_model(hf, tok, inputs, max_tokens=max_tokens)
    print(json.dumps({"model": label, "working_language": shares,
                      "neurons_per_layer": found.counts,
                      "transferring_per_layer": found.transferring}))  # fmt: skip


@babel_app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="every stage at a small size (<= 15 min)")] = False,
    languages: Annotated[str, typer.Option(help="comma-separated, primary first")] = (
        "python,go,javascript"
    ),
    out: Annotated[Path, typer.Option(help="folder for the run (a rerun resumes it)")] = Path(
        "babel-bench"
    ),
) -> None:
    """The staged pre-training run, its probes and the mixture comparison."""
    from steergraph.bench.babel import BabelBenchConfig, run_babel_bench

    make = BabelBenchConfig.quick if quick else BabelBenchConfig
    final = run_babel_bench(make(languages=tuple(_languages(languages)), out=out))
    console.print(f"stages of {final['l2']}: {final['stages_l2']}", highlight=False)
    console.print(f"report: {out / 'report.json'}  plot: {out / 'babel.png'}", highlight=False)
    print(json.dumps(final))
