import time
import uuid

from shared.ids import new_ids


def test_ids_are_canonical_version_7_uuids_and_unique():
    ids = new_ids(20_000)
    assert len(set(ids)) == 20_000
    for text in ids[:2_000]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, text)


def test_a_later_batch_sorts_after_an_earlier_one():
    # What keeps a primary-key index's inserts at its end: the time comes first.
    first = new_ids(100)
    time.sleep(0.002)
    assert max(first) < min(new_ids(100))


def test_the_time_in_an_id_is_now():
    millis = int(uuid.UUID(new_ids(1)[0]).hex[:12], 16)
    assert abs(millis / 1000 - time.time()) < 5
