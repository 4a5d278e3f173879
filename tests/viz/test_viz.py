import struct

import pytest

from steergraph.errors import InputError
from steergraph.graphs import build_graph
from steergraph.viz import graph_mermaid, write_graph_picture


def test_png_is_a_real_picture(tmp_path):
    path = write_graph_picture(build_graph("demo"), tmp_path / "g.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 100 and height > 200 and len(data) > 5000


def test_mermaid_has_every_node_and_edge(tmp_path):
    text = write_graph_picture(build_graph("demo"), tmp_path / "g.mmd").read_text()
    assert text == graph_mermaid(build_graph("demo"))
    for node in ["route", "act", "tools", "collect", "answer"]:
        assert f"\t{node}(" in text
    assert "route -.-> act" in text and "tools --> collect" in text


def test_unknown_picture_format(tmp_path):
    with pytest.raises(InputError, match=r"\.mmd"):
        write_graph_picture(build_graph("demo"), tmp_path / "g.gif")
