"""The contract each resource belongs to, as access.py found it: a resource's owner never
changes (see access.py), so it is remembered for the process's life, within a bound."""

from collections import OrderedDict

# Owners remembered per process: a firm's month end names a few thousand resources; the
# least recently used go first beyond this.
OWNERS_KEPT = 20_000


class Owners:
    """(path parameter, id) → the contract that owns it, least recently used first."""

    def __init__(self, kept: int = OWNERS_KEPT):
        self._kept = kept
        self._owners: OrderedDict[tuple[str, str], str] = OrderedDict()

    def get(self, parameter: str, value: str) -> str | None:
        key = (parameter, value)
        owner = self._owners.get(key)
        if owner is not None:
            self._owners.move_to_end(key)
        return owner

    def remember(self, parameter: str, value: str, owner: str) -> None:
        self._owners[(parameter, value)] = owner
        self._owners.move_to_end((parameter, value))
        while len(self._owners) > self._kept:
            self._owners.popitem(last=False)

    def __len__(self) -> int:
        return len(self._owners)
