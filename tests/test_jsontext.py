"""`jsontext.dumps` writes the bytes `json.dumps(value, indent=2, ensure_ascii=False)` writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tokenbook.jsontext import dumps

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(VALUES)
def test_any_json_value_is_written_as_json_writes_it(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_values_json_alone_can_write_go_to_json() -> None:
    odd = {1: (True, 2.5), "x": [float("nan"), float("-inf")], "y": {None: "é\u2028\x00"}}
    assert dumps(odd) == json.dumps(odd, indent=2, ensure_ascii=False)
