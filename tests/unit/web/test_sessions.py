import time

from web.sessions import SessionStore


def test_a_new_session_has_random_id_and_csrf_token_and_no_token():
    store = SessionStore(idle_seconds=60)
    one, two = store.new(), store.new()
    assert one.id != two.id and one.csrf_token != two.csrf_token
    assert len(one.id) >= 40 and len(one.csrf_token) >= 40
    assert not one.signed_in
    assert store.get(one.id) is one and store.get("unknown") is None and store.get(None) is None


def test_csrf_tokens_are_compared_exactly():
    session = SessionStore(idle_seconds=60).new()
    assert session.csrf_ok(session.csrf_token)
    assert not session.csrf_ok(session.csrf_token[:-1])
    assert not session.csrf_ok("")
    assert not session.csrf_ok(None)
    assert not session.csrf_ok(SessionStore(idle_seconds=60).new().csrf_token)


def test_signing_in_replaces_the_session_so_an_old_id_is_worth_nothing():
    store = SessionStore(idle_seconds=60)
    anonymous = store.new()
    signed = store.sign_in(anonymous, token="t", user="ana", contracts=["78000000-7"],
                           companies=[], expires_at=time.time() + 60)
    assert signed.id != anonymous.id and signed.csrf_token != anonymous.csrf_token
    assert store.get(anonymous.id) is None
    assert store.get(signed.id) is signed and signed.signed_in
    assert signed.contracts == ("78000000-7",)


def test_an_expired_token_is_not_signed_in():
    store = SessionStore(idle_seconds=60)
    session = store.sign_in(None, token="t", user="ana", contracts=[], companies=[],
                            expires_at=time.time() - 1)
    assert not session.signed_in


def test_an_idle_session_is_forgotten(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    store = SessionStore(idle_seconds=60)
    session = store.new()
    now[0] += 59
    assert store.get(session.id) is session  # each use keeps it alive
    now[0] += 59
    assert store.get(session.id) is session
    now[0] += 61
    assert store.get(session.id) is None
    assert len(store) == 0


def test_past_the_cap_the_least_recently_used_session_goes():
    store = SessionStore(idle_seconds=60, max_sessions=2)
    first, second = store.new(), store.new()
    store.get(first.id)  # first is now the most recently used
    third = store.new()
    assert store.get(second.id) is None
    assert store.get(first.id) is first and store.get(third.id) is third


def test_flashes_are_shown_once():
    session = SessionStore(idle_seconds=60).new()
    session.flash("hecho")
    session.flash("ojo", "error")
    assert session.take_flashes() == [("ok", "hecho"), ("error", "ojo")]
    assert session.take_flashes() == []
