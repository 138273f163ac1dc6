"""``[retention]`` in the network definition: a period per protocol, a default, no slips."""
from __future__ import annotations

import pytest

from engine.network.definition import NetworkInvalid, load_network, parse_network
from engine.settings import PROJECT_ROOT
from tests.engine.network.test_definition import _document


def test_the_shipped_network_keeps_cases_ten_years_unless_a_protocol_says_otherwise():
    schedule = load_network(PROJECT_ROOT / "protocols" / "network.toml").retention
    assert schedule.period_for("p1_abuse_report") == "P10Y"
    assert schedule.period_for("p10_data_subject_request") == "P3Y"


def test_no_retention_table_keeps_everything():
    assert parse_network(_document()).retention.period_for("p1_abuse_report") is None


@pytest.mark.parametrize(("table", "field"), [
    ({"default": "P10D"}, "retention.default"),  # a slip for P10Y
    ({"p1_abuse_report": "PT12H"}, "retention.p1_abuse_report"),
    ({"default": "ten years"}, "retention.default"),
    ({"P1 abuse": "P1Y"}, "retention.P1 abuse"),
    ({"default": 10}, "retention.default"),
])
def test_a_bad_period_is_refused_naming_it(table, field):
    with pytest.raises(NetworkInvalid) as refused:
        parse_network(_document(retention=table))
    assert refused.value.details["field"] == field


def test_a_protocol_period_overrides_the_default():
    schedule = parse_network(_document(retention={"default": "P2Y", "p9_committee_oversight": "P1Y6M"})).retention
    assert (schedule.period_for("p9_committee_oversight"), schedule.period_for("p2_student_screening")) == ("P1Y6M", "P2Y")
