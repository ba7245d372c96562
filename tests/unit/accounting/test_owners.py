"""The owners access.py remembers: bounded, least recently used first out."""

from accounting.service_layer.owners import Owners


def test_an_owner_is_remembered_per_parameter_and_id():
    owners = Owners()
    owners.remember("sync_id", "s1", "76000000-0")
    assert owners.get("sync_id", "s1") == "76000000-0"
    assert owners.get("company_id", "s1") is None  # another kind of id, not the same one
    assert owners.get("sync_id", "s2") is None


def test_beyond_the_bound_the_least_recently_used_goes_first():
    owners = Owners(kept=2)
    owners.remember("sync_id", "a", "1-9")
    owners.remember("sync_id", "b", "1-9")
    assert owners.get("sync_id", "a") == "1-9"  # used: now b is the least recent
    owners.remember("sync_id", "c", "1-9")
    assert len(owners) == 2
    assert owners.get("sync_id", "b") is None
    assert owners.get("sync_id", "a") == owners.get("sync_id", "c") == "1-9"
