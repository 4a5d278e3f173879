"""Plan language: round trips, positioned errors, and robustness to arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steergraph.errors import PlanError
from steergraph.tools.plan import Plan
from steergraph.tools.plan_parser import parse_plan, plan_from_opencatp
from steergraph.tools.registry import default_registry

REG = default_registry()
INPUTS = {"doc": "text", "csv": "text"}


@st.composite
def valid_plans(draw, allow_repeats: bool = False) -> Plan:
    """Random type-correct plans over the built-in tools."""
    values: dict[str, str] = dict(INPUTS)
    used: set[str] = set()
    lines = []
    for i in range(draw(st.integers(1, 8))):
        candidates = [
            t
            for t in REG
            if all(k in values.values() for k in t.inputs) and (allow_repeats or t.name not in used)
        ]
        tool = draw(st.sampled_from(candidates))
        args = [
            draw(st.sampled_from([n for n, k in values.items() if k == want]))
            for want in tool.inputs
        ]
        name = f"{draw(st.sampled_from(['s', 'v', 'out', 'x_']))}{i}"
        lines.append(f"{name} = {tool.name}({', '.join(args)})")
        values[name] = tool.output
        used.add(tool.name)
    steps = [line.split(" = ")[0] for line in lines]
    returns = draw(st.lists(st.sampled_from(steps), min_size=1, max_size=3, unique=True))
    order = draw(st.permutations(lines))  # any line order is a valid plan
    text = "\n".join([*order, f"return {', '.join(returns)}"])
    return parse_plan(text, REG, INPUTS, allow_repeats=allow_repeats)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_plans(allow_repeats=True))
def test_round_trip_through_text(plan):
    again = parse_plan(plan.to_text(), REG, INPUTS, allow_repeats=True)
    assert again == plan
    assert again.to_text() == plan.to_text()
    order = again.order()
    for name in order:  # canonical text is topologically ordered
        assert all(order.index(d) < order.index(name) for d in again.dependencies(name))


@settings(max_examples=200, deadline=None)
@given(valid_plans())
def test_round_trip_through_the_opencatp_form(plan):
    # OpenCATP's form keeps the steps and their dependencies (the plan returns its last step)
    again = plan_from_opencatp(plan.to_opencatp(), REG, INPUTS)
    assert again.tools() == plan.tools()
    assert again.returns == (f"s{len(plan)}",)
    assert again.to_opencatp() == plan.to_opencatp()


PLANISH = st.text(alphabet="abcs12_ =(),#\n\t$return", max_size=80)


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(max_size=120), PLANISH))
def test_arbitrary_text_gives_a_plan_or_a_plan_error(text):
    try:
        plan = parse_plan(text, REG, INPUTS)
    except PlanError as err:
        assert err.line >= 1 and err.column >= 1
        assert err.kind in {
            "syntax",
            "unknown-tool",
            "dangling-reference",
            "type-mismatch",
            "arity",
            "repeated-tool",
            "duplicate-step",
            "cycle",
            "missing-output",
            "empty",
        }
        assert "\n" not in str(err)
    else:
        assert isinstance(plan, Plan) and plan.returns


@pytest.mark.parametrize(
    ("text", "kind", "line", "column"),
    [
        ("t = clean_text(doc)\nreturn txt", "dangling-reference", 2, 8),
        ("t = clean_txt(doc)\nreturn t", "unknown-tool", 1, 5),
        ("a = summarize_lead(b)\nb = summarize_rank(a)\nreturn a", "cycle", 1, 1),
        ("t = parse_csv(doc)\nm = summarize_lead(t)\nreturn m", "type-mismatch", 2, 20),
        ("a = clean_text(doc)\nb = clean_text(a)\nreturn b", "repeated-tool", 2, 5),
        ("a = clean_text(doc, csv)\nreturn a", "arity", 1, 5),
        ("a = clean_text(doc\nreturn a", "syntax", 1, 19),
        ("a = clean_text(doc) ; b\nreturn a", "syntax", 1, 21),
        ("a = clean_text(doc)", "syntax", 1, 1),
        ("  \n# only a comment\n", "empty", 2, 1),
        (
            "a = clean_text(doc)\nc = summarize_lead(a)\na = summarize_rank(doc)\nreturn c",
            "duplicate-step",
            3,
            1,
        ),
        ("a = clean_text(zzz)\nreturn a", "dangling-reference", 1, 16),
    ],
)
def test_each_rule_is_reported_where_it_is_broken(text, kind, line, column):
    with pytest.raises(PlanError) as info:
        parse_plan(text, REG, INPUTS)
    assert (info.value.kind, info.value.line, info.value.column) == (kind, line, column)
    assert f"line {line}, column {column}" in str(info.value)


def test_required_outputs_and_repeats():
    text = "n = count_words(doc)\nreturn n"
    assert parse_plan(text, REG, INPUTS, outputs=["number"]).returns == ("n",)
    with pytest.raises(PlanError, match="needs text") as info:
        parse_plan(text, REG, INPUTS, outputs=["text"])
    assert info.value.kind == "missing-output"
    twice = "a = clean_text(doc)\nb = clean_text(a)\nreturn b"
    assert len(parse_plan(twice, REG, INPUTS, allow_repeats=True)) == 2


def test_branches_critical_path_and_pointer():
    plan = parse_plan(
        "t = clean_text(doc)\ns = summarize_rank(t)\nk = keywords_freq(t)\n"
        "w = words_to_text(k)\nj = join_texts(s, w)\nu = count_words(doc)\nreturn j",
        REG,
        INPUTS,
    )
    length, path = plan.critical_path({"t": 1, "s": 5, "k": 1, "w": 1, "j": 1, "u": 9})
    assert (length, path) == (9.0, ["u"])
    assert plan.unused_steps() == ["u"]
    assert plan.dependents()["t"] == ["s", "k"]
    with pytest.raises(PlanError) as info:
        parse_plan(
            "x = clean_text(doc)\ny = parse_csv(x)\nz = summarize_lead(y)\nreturn z", REG, INPUTS
        )
    assert info.value.pointer().splitlines()[1] == " " * 19 + "^"
