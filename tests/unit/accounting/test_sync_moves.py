"""The bells GET /v1/syncs/{id}?wait= waits on."""

import asyncio

from accounting.service_layer.sync_moves import SyncMoves


async def test_a_bell_rung_after_listening_is_heard_even_before_the_wait():
    moves = SyncMoves()
    with moves.listening("s1") as bell:
        moves.ring(["s1"])  # say, committed while the session was being read
        await asyncio.wait_for(bell.wait(60), 5)  # heard: no need to wait for a recheck
    assert len(moves) == 0


async def test_a_bell_is_kept_while_someone_listens_and_only_for_its_session():
    moves = SyncMoves()
    with moves.listening("s1") as first:
        with moves.listening("s1") as second:
            assert first is second and len(moves) == 1
        assert len(moves) == 1  # the first one still listens
        moves.ring(["s2"])  # another session's: nothing heard here
        await first.wait(0.01)  # returns after its own seconds, nothing rang
    assert len(moves) == 0
