"""Migration 0017 both ways: on PostgreSQL the reference tails' function and index come and go
(the downgrade leaves no function behind, which the schema comparison of test_migrations does
not look at); on SQLite it changes nothing."""
from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from tests.engine.test_migrations import _migrate, empty_databases  # noqa: F401 - the fixture


def _tails_objects(engine) -> dict[str, bool]:
    with engine.connect() as connection:
        return {
            "function": connection.scalar(text("SELECT count(*) FROM pg_proc WHERE proname = 'case_reference_tails'")) == 1,
            "index": connection.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_cases_reference_tails'")) == 1,
        }


def test_the_reference_tails_come_with_the_upgrade_and_go_with_the_downgrade(empty_databases):  # noqa: F811
    url = empty_databases()
    _migrate(url, "0016")
    engine = create_engine(url)
    try:
        before = sorted(index["name"] for index in inspect(engine).get_indexes("cases"))
        _migrate(url, "0017")
        if engine.dialect.name != "postgresql":
            assert sorted(index["name"] for index in inspect(engine).get_indexes("cases")) == before
            _migrate(url, "0016", down=True)
            return
        assert _tails_objects(engine) == {"function": True, "index": True}
        with engine.connect() as connection:
            tails = connection.scalar(text("SELECT case_reference_tails('TAK-2026-000001')::text"))
            none = connection.scalar(text("SELECT case_reference_tails('TAK')::text"))
        assert (tails, none) == ("'-000001' '-2026-000001'", "")
        _migrate(url, "0016", down=True)
        assert _tails_objects(engine) == {"function": False, "index": False}
        _migrate(url, "0017")
        assert _tails_objects(engine) == {"function": True, "index": True}
    finally:
        engine.dispose()
