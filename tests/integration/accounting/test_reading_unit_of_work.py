"""A reading unit of work runs each statement on its own, outside a transaction."""

import pytest
from sqlalchemy import text


async def test_each_read_is_its_own_transaction(services):
    async with services.reads() as uow:
        first = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
        second = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
    assert first != second
    async with services.uow() as uow:  # a use case that writes keeps its one transaction
        first = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
        second = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
    assert first == second


async def test_a_reading_unit_of_work_refuses_to_commit(services):
    async with services.reads() as uow:
        with pytest.raises(TypeError, match="commits nothing"):
            await uow.commit()
