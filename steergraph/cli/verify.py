"""``steergraph verify run|sandbox|bench``: search -> verify -> feedback from the command line.

Example:
    $ steergraph verify run --problems humaneval --split test --limit 10 \\
        --strategy best-of-n --n 8 --feedback none
    $ steergraph verify run --problems arithmetic --limit 20 --strategy self-consistency
    $ steergraph verify run --problems mine.jsonl --feedback sft --rounds 2 --workdir runs/a
    $ steergraph verify sandbox untrusted.py
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from steergraph.errors import InputError, InputFileError

__all__ = ["load_problems", "make_strategy", "make_verifier", "verify_app"]

verify_app = typer.Typer(
    help="Verifier engineering: search, verify, feedback.", no_args_is_help=True
)
console = Console()

STRATEGIES = ("greedy", "best-of-n", "self-consistency", "beam", "tree", "refine")
VERIFIERS = ("auto", "exact", "numeric", "code", "judge", "regex:PATTERN", "json-schema")


def load_problems(source: str, *, split: str = "all", limit: int | None = None) -> list[Any]:
    """Problems from ``humaneval``, ``arithmetic`` or a JSON-lines file of Problem fields."""
    from steergraph.agents.verify.base import Problem

    if split not in ("all", "train", "test"):
        raise InputError(f"unknown split {split!r}", fix="use all, train or test")
    if source == "humaneval":
        from steergraph.data.verify.humaneval import humaneval_split, load_humaneval

        problems = load_humaneval()
        if split != "all":
            train, test = humaneval_split(problems)
            problems = train if split == "train" else test
    elif source == "arithmetic":
        from steergraph.data.verify.arithmetic import arithmetic_problems

        problems = arithmetic_problems(limit or 50, seed=0 if split != "test" else 1)
    else:
        from steergraph.cli.common import read_text_file

        path = Path(source)
        problems = []
        for no, line in enumerate(read_text_file(path).splitlines(), 1):
            if not line.strip():
                continue
            try:
                problems.append(Problem.model_validate(json.loads(line)))
            except ValueError as exc:
                first = str(exc).splitlines()[0]
                raise InputFileError(
                    f"{path}, line {no}: not a problem ({first})",
                    fix='each line is a JSON object like {"prompt": "...", "answer": "..."}',
                ) from None
        if not problems:
            raise InputFileError(f"{path} holds no problems", fix="one JSON object per line")
    if limit is not None:
        if limit < 1:
            raise InputError(f"--limit {limit} selects nothing", fix="use --limit 1 or more")
        problems = problems[:limit]
    return problems


def make_verifier(spec: str, model: str = "local") -> Any:
    """A verifier from a CLI spec (``auto`` returns None: one default per problem)."""
    from steergraph.agents import verify as v

    if spec == "auto":
        return None
    if spec == "exact":
        from steergraph.data.verify.arithmetic import extract_number

        return v.AnyOf([v.ExactMatch(), v.ExactMatch(extract=extract_number)])
    if spec == "numeric":
        return v.NumericTolerance()
    if spec == "code":
        return v.CodeTestVerifier()
    if spec == "json-schema":
        return v.JsonSchemaVerifier()
    if spec == "judge":
        from steergraph.llm.loading import load_chat_model

        return v.LLMJudge(load_chat_model(model))
    if spec.startswith("regex:"):
        return v.RegexMatch(spec[len("regex:") :])
    raise InputError(f"unknown verifier {spec!r}", fix=f"use one of: {', '.join(VERIFIERS)}")


def make_strategy(name: str, *, n: int, max_new_tokens: int, humaneval: bool) -> Any:
    """A search strategy by name; HumanEval problems get the code-completion prompt."""
    from steergraph.agents.verify import search, search_steps

    messages = None
    if humaneval:
        from langchain_core.messages import HumanMessage

        from steergraph.data.verify.humaneval import chat_prompt

        def messages(p: Any) -> list[Any]:
            return [HumanMessage(chat_prompt(p))]

    common: dict[str, Any] = {"messages": messages}
    if name == "greedy":
        return search.Greedy(max_new_tokens=max_new_tokens, **common)
    if name == "best-of-n":
        return search.BestOfN(n, max_new_tokens=max_new_tokens, **common)
    if name == "self-consistency":
        from steergraph.data.verify.arithmetic import extract_number

        if humaneval:  # vote over whole programs (whitespace-normalized), not numbers
            return search.SelfConsistency(
                n,
                extract=lambda t: " ".join(t.split()) or None,
                max_new_tokens=max_new_tokens,
                **common,
            )
        return search.SelfConsistency(
            n, extract=extract_number, max_new_tokens=max_new_tokens, **common
        )
    if name == "refine":
        return search.Refine(max(1, n // 2), max_new_tokens=max_new_tokens, **common)
    if name == "beam":
        return search_steps.BeamSearch(beam_width=max(1, n // 2), expansions=2, **common)
    if name == "tree":
        return search_steps.TreeSearch(
            iterations=n, expansions=2, rollout_max_tokens=max_new_tokens, **common
        )
    raise InputError(f"unknown strategy {name!r}", fix=f"use one of: {', '.join(STRATEGIES)}")


@verify_app.command("run")
def verify_run(
    problems: Annotated[
        str, typer.Option("--problems", "-p", help="humaneval, arithmetic, or a .jsonl file")
    ] = "arithmetic",
    split: Annotated[str, typer.Option(help="all, train or test (humaneval, arithmetic)")] = "all",
    limit: Annotated[int | None, typer.Option(help="first N problems only")] = 10,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="|".join(STRATEGIES))] = (
        "best-of-n"
    ),
    n: Annotated[int, typer.Option("--n", help="samples / beam budget / tree iterations")] = 8,
    verifier: Annotated[str, typer.Option(help="|".join(VERIFIERS))] = "auto",
    feedback: Annotated[str, typer.Option(help="none, sft, dpo or grpo")] = "none",
    rounds: Annotated[int, typer.Option(help="search-verify-feedback rounds")] = 1,
    model: Annotated[str, typer.Option("--model", "-m", help="policy model spec")] = "local",
    max_new_tokens: Annotated[int, typer.Option(help="tokens per answer")] = 384,
    workdir: Annotated[Path, typer.Option(help="round datasets and policies")] = Path("verify-run"),
    db: Annotated[
        str | None,
        typer.Option(help="SQLite file or postgresql:// URL of the checkpoints (resumable)"),
    ] = None,
    thread: Annotated[str | None, typer.Option(help="resume this thread")] = None,
) -> None:
    """Run search -> verify -> feedback rounds on a problem set and print each round."""
    from steergraph.graphs.verify import VerifyContext, build_verify_graph

    if feedback not in ("none", "sft", "dpo", "grpo"):
        raise InputError(f"unknown feedback {feedback!r}", fix="use none, sft, dpo or grpo")
    if rounds < 1 or n < 1:
        raise InputError("--rounds and --n must be >= 1", fix="e.g. --rounds 1 --n 8")
    items = load_problems(problems, split=split, limit=limit)
    ctx = VerifyContext(
        model=model,
        strategy=make_strategy(
            strategy, n=n, max_new_tokens=max_new_tokens, humaneval=problems == "humaneval"
        ),
        verifier=make_verifier(verifier, model),
        feedback=feedback,  # type: ignore[arg-type]
        rounds=rounds,
        workdir=str(workdir),
        progress=True,
    )
    from steergraph.graphs.persistence import persistence

    thread = thread or f"verify-{uuid.uuid4().hex[:8]}"
    config = {"configurable": {"thread_id": thread}}
    start: Any = {"problems": [p.model_dump(by_alias=True) for p in items]}
    with persistence(db) as (checkpointer, _):
        graph = build_verify_graph(checkpointer=checkpointer)
        if checkpointer is not None:
            console.print(f"thread {thread} (resume with --thread {thread} --db {db})")
            if graph.get_state(config).next:
                start = None
        out = graph.invoke(start, config, context=ctx)
    table = RichTable(title=f"verify: {strategy} on {len(items)} {problems} problems")
    for col in ("round", "selected pass", "any pass", "eval pass", "gens", "search s", "feedback"):
        table.add_column(col)
    for h in out.get("history", []):
        fb = h.get("feedback", {})
        note = "trained" if fb.get("trained") else (fb.get("sft_skipped") or fb.get("mode", ""))
        table.add_row(
            str(h["round"]),
            f"{h['selected_pass_rate']:.3f}",
            f"{h['any_pass_rate']:.3f}",
            f"{h['eval_pass_rate']:.3f}",
            str(h["generations"]),
            f"{h['search_seconds']:.1f}",
            str(note)[:50],
        )
    console.print(table)
    if out.get("history") and out["history"][0].get("selection_reads_reference"):
        console.print(
            "[yellow]note:[/] these problems have no tests, so the default verifier compared "
            "answers with the reference: 'selected pass' is oracle selection. Use "
            "--strategy self-consistency or --verifier judge for reference-free selection."
        )
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "report.json"
    report.write_text(
        json.dumps(
            {"history": out.get("history", []), "policy": out.get("policy")}, indent=2, default=str
        )
    )
    console.print(f"report: {report}" + (f"  policy: {out['policy']}" if out.get("policy") else ""))


@verify_app.command("sandbox")
def verify_sandbox(
    program: Annotated[Path, typer.Argument(help="a Python file to run in the sandbox")],
    wall_s: Annotated[float, typer.Option(help="wall-clock limit, seconds")] = 10.0,
    memory_mb: Annotated[int, typer.Option(help="address-space limit, MiB")] = 512,
) -> None:
    """Run an untrusted Python program in the sandbox and report how it ended."""
    from steergraph.cli.common import read_text_file
    from steergraph.tools.sandbox import Sandbox, SandboxLimits

    code = read_text_file(program)
    result = Sandbox(SandboxLimits(wall_s=wall_s, memory_mb=memory_mb)).run(code)
    console.print(result.stdout, end="", highlight=False, markup=False)
    if result.stderr:
        console.print(result.stderr, end="", style="red", highlight=False, markup=False)
    status = "ok" if result.ok else f"failed: {result.reason}"
    console.print(
        f"[bold]{status}[/] exit={result.exit_code} wall={result.wall_s:.3f}s "
        f"isolation={','.join(result.isolation)}"
    )
    if not result.ok:
        raise typer.Exit(1)


@verify_app.command("bench")
def verify_bench(
    quick: Annotated[bool, typer.Option(help="a subset in a few minutes")] = False,
    model: Annotated[str, typer.Option("--model", "-m", help="policy model spec")] = "local",
    out: Annotated[Path, typer.Option(help="folder for report.json and the plot")] = Path(
        "verify-bench"
    ),
    test_limit: Annotated[int | None, typer.Option(help="HumanEval test problems")] = None,
    train_limit: Annotated[int | None, typer.Option(help="HumanEval training problems")] = None,
    arithmetic: Annotated[int | None, typer.Option(help="arithmetic problems")] = None,
) -> None:
    """HumanEval and arithmetic figures, batched sampling and sandbox throughput."""
    from steergraph.bench.verify import BenchConfig, run_verify_bench, with_overrides

    for name, value in (
        ("test-limit", test_limit),
        ("train-limit", train_limit),
        ("arithmetic", arithmetic),
    ):
        if value is not None and value < 1:
            raise InputError(f"--{name} {value} selects nothing", fix=f"use --{name} 1 or more")
    cfg = BenchConfig.quick_config() if quick else BenchConfig()
    cfg = with_overrides(
        cfg,
        model=model,
        out=out,
        test_limit=test_limit,
        train_limit=train_limit,
        arithmetic=arithmetic,
    )
    report = run_verify_bench(cfg, log=console.print)
    print(json.dumps(report["final"]))
