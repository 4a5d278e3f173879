"""A llama.cpp model and context driven through its C API (``llama-cpp-python``'s ctypes).

:class:`LlamaRuntime` owns one model and one context with a *unified* KV cache
shared by up to ``n_seq_max`` sequences, and offers the two things the engine
needs: decode an arbitrary batch of (token, position, sequence) entries and get
the logits rows asked for, and copy a sequence's cache to others (a prompt is
prefilled once, then forked for ``n`` samples). ``llama_cpp.Llama`` decodes one
sequence at a time, which wastes most of a CPU's width on best-of-N, hence this
thin layer over the public C functions.

llama.cpp reports why a file does not load only through its log; a callback keeps
the recent lines so :class:`~steergraph.errors.ModelLoadError` can quote them.

Example:
    >>> from steergraph.llm.engines.llamacpp_runtime import llama_cpp_available
    >>> isinstance(llama_cpp_available(), bool)
    True
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from steergraph.errors import CapabilityError, ModelLoadError

__all__ = [
    "BatchEntry",
    "LlamaRuntime",
    "captured_c_stderr",
    "check_gguf_file",
    "llama_cpp_available",
    "llama_log_reason",
    "reset_llama_log",
    "safe_model_params",
]

_LOG: collections.deque[str] = collections.deque(maxlen=40)
_init_lock = threading.Lock()
_initialised = False
_callback: Any = None  # keeps the ctypes callback alive


def llama_cpp_available() -> bool:
    """True when ``llama-cpp-python`` can be imported."""
    try:
        import llama_cpp  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _llama() -> Any:
    global _initialised, _callback
    try:
        import llama_cpp
    except (ImportError, OSError) as exc:
        raise CapabilityError(
            f"the llama.cpp engine needs llama-cpp-python, which is not usable here ({exc})",
            fix="run `make install-llamacpp` (builds llama-cpp-python==0.3.36, about 2-3 min) "
            "or use the transformers engine with the spec 'local+hf:<model>'",
        ) from exc
    with _init_lock:
        if not _initialised:
            verbose = bool(os.environ.get("STEERGRAPH_LLAMA_VERBOSE"))

            @llama_cpp.llama_log_callback
            def _log(level: int, text: bytes, user_data: Any) -> None:
                line = text.decode("utf-8", "replace")
                if line.strip():
                    _LOG.append(line.rstrip())
                if verbose:
                    print(line, end="", flush=True)

            _callback = _log
            llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))
            llama_cpp.llama_backend_init()
            _initialised = True
    return llama_cpp


@contextlib.contextmanager
def captured_c_stderr() -> Iterator[list[str]]:
    """Capture what C code writes to file descriptor 2 (llama.cpp's grammar parser does)."""
    import sys
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    lines: list[str] = []
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def reset_llama_log() -> None:
    """Forget what llama.cpp logged so far (call before an operation that may fail)."""
    _LOG.clear()


def llama_log_reason() -> str:
    """The most specific failure llama.cpp logged ("error loading model: ..." first)."""
    lines = list(_LOG)
    _LOG.clear()
    for marker in ("error loading model:", "error", "failed"):
        hits = [line for line in lines if marker in line.lower()]
        if hits:
            return hits[0].split(marker, 1)[-1].strip() if ":" in marker else hits[0].strip()
    return "no message from llama.cpp"


def check_gguf_file(path: str | Path) -> Path:
    """Raise :class:`ModelLoadError` naming ``path`` if it is missing or not a GGUF file."""
    file = Path(path)
    if not file.is_file():
        raise ModelLoadError(
            f"GGUF file '{file}' does not exist", fix="pass the path of a .gguf model file"
        )
    with file.open("rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        raise ModelLoadError(
            f"'{file}' is not a GGUF file (it starts with {magic!r}, not b'GGUF')",
            fix="export a transformers model with `steergraph models export` or pass a .gguf",
        )
    return file


@dataclass(frozen=True)
class BatchEntry:
    """One token to decode: id, position, sequence, and whether its logits are wanted."""

    token: int
    pos: int
    seq: int
    logits: bool = False


def safe_model_params(lc: Any = None) -> Any:
    """llama.cpp model parameters with the CPU "extra buffer types" off unless asked for.

    The extra buffer types repack weights for AMX / AVX-512 kernels; on CPUs with AMX
    (e.g. Sapphire Rapids) the Q4_1 path crashes the process inside ``llama_decode``
    (llama-cpp-python 0.3.36, measured here), and on CPUs without AMX they do not
    apply to Q4_1 at all. ``STEERGRAPH_LLAMA_EXTRA_BUFTS=1`` turns them back on.
    """
    lc = lc or _llama()
    params = lc.llama_model_default_params()
    params.use_extra_bufts = os.environ.get("STEERGRAPH_LLAMA_EXTRA_BUFTS", "0") == "1"
    return params


class LlamaRuntime:
    """One GGUF model + one multi-sequence context (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        *,
        n_ctx: int = 8192,
        n_batch: int = 512,
        n_seq_max: int = 64,
        n_threads: int | None = None,
    ) -> None:
        lc = _llama()
        self.path = check_gguf_file(path)
        self._lc = lc
        _LOG.clear()
        mparams = safe_model_params(lc)
        self.model = lc.llama_model_load_from_file(str(self.path).encode(), mparams)
        if not self.model:
            raise ModelLoadError(
                f"llama.cpp could not load '{self.path}': {llama_log_reason()}",
                fix="check that the file is complete (not truncated) and of an architecture "
                "llama.cpp supports (llama, gemma3, qwen2, ...)",
            )
        # $STEERGRAPH_LLAMA_THREADS: fewer threads when several processes share the cores
        threads = (
            n_threads or int(os.environ.get("STEERGRAPH_LLAMA_THREADS", 0)) or os.cpu_count() or 1
        )
        self.n_ctx_train = int(lc.llama_model_n_ctx_train(self.model))
        cparams = lc.llama_context_default_params()
        cparams.n_ctx = min(n_ctx, self.n_ctx_train) if self.n_ctx_train > 0 else n_ctx
        cparams.n_batch = n_batch
        cparams.n_ubatch = n_batch
        cparams.n_seq_max = min(n_seq_max, int(lc.llama_max_parallel_sequences()))
        cparams.kv_unified = True
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        self.ctx = lc.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            lc.llama_model_free(self.model)
            raise ModelLoadError(
                f"llama.cpp could not create a context for '{self.path}': {llama_log_reason()}",
                fix="lower n_ctx (STEERGRAPH_LLAMA_CTX) or free memory",
            )
        self.n_ctx = int(lc.llama_n_ctx(self.ctx))
        self.n_batch = n_batch
        self.n_seq_max = int(cparams.n_seq_max)
        self.n_vocab = int(lc.llama_vocab_n_tokens(lc.llama_model_get_vocab(self.model)))
        self._batch = lc.llama_batch_init(n_batch, 0, 1)
        self.memory = lc.llama_get_memory(self.ctx)
        self.cached: list[int] = []  # the tokens sequence 0 holds from position 0
        self.reused_tokens = 0  # prompt tokens the last prefill did not decode again

    # ----------------------------------------------------------------- metadata
    def meta(self, key: str) -> str | None:
        """A GGUF metadata value as a string (None when absent)."""
        buf = ctypes.create_string_buffer(4096)
        size = self._lc.llama_model_meta_val_str(self.model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", "replace") if size >= 0 else None

    # ------------------------------------------------------------------ memory
    def clear(self) -> None:
        """Forget every sequence."""
        self._lc.llama_memory_clear(self.memory, True)
        self.cached = []

    def prefill(self, ids: list[int]) -> np.ndarray:
        """Decode ``ids`` into sequence 0 and return the last position's logits (1 row).

        Every other sequence is dropped. The longest prefix shared with the previous
        ``prefill`` stays in the cache and is not decoded again (prefix caching: a
        planner re-asked line by line, or one prompt scored against many responses,
        pays for its long system prompt once). Caches that cannot cut a sequence
        (sliding-window or recurrent models) fall back to a full prefill.
        """
        lc, mem = self._lc, self.memory
        common, limit = 0, min(len(self.cached), len(ids) - 1)
        while common < limit and self.cached[common] == ids[common]:
            common += 1
        if common:
            lc.llama_memory_seq_keep(mem, 0)
            cut = bool(lc.llama_memory_seq_rm(mem, 0, common, -1))
            if not cut or int(lc.llama_memory_seq_pos_min(mem, 0)) != 0:
                common = 0
        if not common:
            self.clear()
        self.reused_tokens = common
        entries = [
            BatchEntry(tok, pos, 0, pos == len(ids) - 1)
            for pos, tok in enumerate(ids)
            if pos >= common
        ]
        logits = self.decode(entries)
        self.cached = list(ids)
        return logits

    def fork(self, src: int, dst: int) -> None:
        """Make sequence ``dst`` share ``src``'s cache (a prompt prefilled once)."""
        self._lc.llama_memory_seq_cp(self.memory, src, dst, -1, -1)

    def drop(self, seq: int) -> None:
        """Remove one sequence from the cache."""
        self._lc.llama_memory_seq_rm(self.memory, seq, -1, -1)

    # ------------------------------------------------------------------ decode
    def decode(self, entries: list[BatchEntry]) -> np.ndarray:
        """Decode ``entries`` (chunked by ``n_batch``); return the wanted logits rows in order."""
        rows: list[np.ndarray] = []
        batch = self._batch
        for start in range(0, len(entries), self.n_batch):
            chunk = entries[start : start + self.n_batch]
            wanted = 0
            for i, entry in enumerate(chunk):
                batch.token[i] = entry.token
                batch.pos[i] = entry.pos
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = entry.seq
                batch.logits[i] = 1 if entry.logits else 0
                wanted += int(entry.logits)
            batch.n_tokens = len(chunk)
            status = self._lc.llama_decode(self.ctx, batch)
            if status != 0:
                raise ModelLoadError(
                    f"llama_decode failed with status {status} on '{self.path}' "
                    f"({llama_log_reason()})",
                    fix="the context is full: lower n or max_new_tokens, or raise "
                    "STEERGRAPH_LLAMA_CTX",
                )
            if wanted:
                ptr = self._lc.llama_get_logits(self.ctx)
                rows.append(np.ctypeslib.as_array(ptr, shape=(wanted, self.n_vocab)).copy())
        if not rows:
            return np.empty((0, self.n_vocab), dtype=np.float32)
        return np.concatenate(rows) if len(rows) > 1 else rows[0]

    def close(self) -> None:
        """Free the context and the model (also done when garbage-collected)."""
        if getattr(self, "ctx", None):
            self._lc.llama_batch_free(self._batch)
            self._lc.llama_free(self.ctx)
            self.ctx = None
        if getattr(self, "model", None):
            self._lc.llama_model_free(self.model)
            self.model = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass
