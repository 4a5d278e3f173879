"""Seg2Act's Markdown source: READMEs of installed Python packages, their block structure
read as CommonMark states it, levels renumbered along the open path."""

from __future__ import annotations

import pytest

from steergraph.data.seg2act import corpus_split, load_document
from steergraph.data.seg2act.markdown import find_readmes, parse_markdown, readme_body
from steergraph.errors import InputFileError

README = """<p align="center"><img src="logo.png"></p>

Intro line one
continues here.

Title
=====

Some *emphasis*, `code` and a [link](https://example.org) ![badge](b.svg).

### Deep section
| col | col |
|-----|-----|
| a   | b   |

Sub title
---------
1. first item
2. second item
   wraps on

> quoted words

```python
# a comment, not a heading
x = 1
```
---
## Back to two
text
"""


def test_blocks_levels_and_markup_are_read_as_commonmark_states_them():
    doc = parse_markdown(README, "demo")
    assert list(zip(doc.actions, doc.segments)) == [
        ("*", "Intro line one"), ("=", "continues here."),
        ("+", "Title"),
        ("*", "Some emphasis, code and a link ."),
        ("++", "Deep section"),  # ### right under # is level 2
        ("*", "| col | col |"), ("*", "| a | b |"),
        ("++", "Sub title"),  # setext level 2 closes the ### (a sibling, not a child)
        ("*", "first item"), ("*", "second item"), ("=", "wraps on"),
        ("*", "quoted words"),
        ("*", "# a comment, not a heading"), ("=", "x = 1"),
        ("++", "Back to two"), ("*", "text"),
    ]  # fmt: skip
    assert doc.headings == 4 and doc.source == "readme"


def test_metadata_bodies_are_readmes_only_when_markdown(tmp_path):
    head = "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1\n"
    md = head + "Description-Content-Type: text/markdown\n\n# Demo\n\ntext\n"
    rst = head + "Description-Content-Type: text/x-rst\n\nDemo\n====\n"
    assert readme_body(md) == ("demo-pkg", "# Demo\n\ntext\n")
    assert readme_body(rst) is None and readme_body(head) is None
    site = tmp_path / "site"
    for name, text in (("demo_pkg-1.dist-info", md), ("other-1.dist-info", rst)):
        (site / name).mkdir(parents=True)
        (site / name / "METADATA").write_text(text)
    (found,) = find_readmes([str(site), str(tmp_path / "missing")])
    assert found.parent.name == "demo_pkg-1.dist-info"
    doc = load_document(found)
    assert doc.name == "demo-pkg" and doc.segments == ["Demo", "text"]
    with pytest.raises(InputFileError, match="holds no Markdown README"):
        load_document(site / "other-1.dist-info" / "METADATA")


def test_installed_packages_give_a_readme_split_with_headings():
    assert len(find_readmes()) >= 20  # this environment's distributions
    split = corpus_split(train=3, test=2, seed=0, kinds=("readme",), max_segments=40)
    docs = split["train"] + split["test"]
    assert all(d.source == "readme" and d.headings >= 2 for d in docs)
    assert len({d.name for d in docs}) == 5
