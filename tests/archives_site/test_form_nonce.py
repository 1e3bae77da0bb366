"""A one-time form key (archives_site.forms.form_nonce) lets exactly one submission through,
even when two arrive at once with the same session (each read it before the other saved it)."""

from __future__ import annotations

from django.test import RequestFactory

from archives_site.forms import form_nonce, spend_nonce


def _request(session: dict, nonce: str):
    request = RequestFactory().post("/", {"nonce": nonce})
    request.session = dict(session)  # each request has its own copy of the stored session
    return request


def test_the_same_key_submitted_twice_at_once_passes_once():
    issuing = RequestFactory().get("/")
    issuing.session = {}
    nonce = form_nonce(issuing)
    first, second = _request(issuing.session, nonce), _request(issuing.session, nonce)
    assert [spend_nonce(first), spend_nonce(second)] == [True, False]
    assert spend_nonce(_request(issuing.session, "made-up")) is False
