"""A story run against the fake C64 program in real VICE: events, ring reading, faults, cleanup."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from build_chain.blocks import RING_SIZE, Params
from gui64.artifacts import Artifacts
from gui64.events import Failed, Finished, Progress, ScreenFrame, SessionState, StateChanged, TokenEmitted
from gui64.session import Session, SessionOptions, program_entry

from .test_vice import gone


@pytest.fixture
def fake_artifacts(fake_program, blank_reu) -> Artifacts:
    return Artifacts(blank_reu, None, fake_program["prg"], fake_program["labels"], fake_program["map"])


def make_session(params, model_files, tokenizer, fake_artifacts, tiny_roms, **opts) -> Session:
    return Session(params, model_files, SessionOptions(**opts), artifacts=fake_artifacts, roms=tiny_roms,
                   tokenizer=tokenizer)


def expected_text(tokenizer, prompt_tokens, ids) -> str:
    return tokenizer.decode_all([prompt_tokens[-1], *ids])


def test_program_entry_from_sys_line():
    # 10 SYS 2061 as cc65's exehdr writes it
    prg = bytes([0x01, 0x08, 0x0B, 0x08, 0x0A, 0x00, 0x9E]) + b"2061" + bytes(3)
    assert program_entry(prg, {}) == 2061


def test_program_entry_from_label():
    assert program_entry(b"\x00\xc0\xea", {"start": 0xC000}) == 0xC000


@pytest.mark.parametrize("prompt, match", [("x" * 300, "shorten"), ("Zoë", "ASCII")])
def test_bad_prompt_refused_before_anything_starts(prompt, match, model_files, tokenizer, fake_artifacts,
                                                   tiny_roms):
    events = []
    session = make_session(Params(prompt=prompt, steps=5), model_files, tokenizer, fake_artifacts, tiny_roms)
    last = session.run(events.append)
    assert isinstance(last, Failed) and match in last.reason
    assert events == [last] and session.vice is None


def test_prompt_longer_than_context_refused(model_files, tokenizer, fake_artifacts, tiny_roms):
    prompt = " ".join(["zebra"] * 20)  # fits the parameter block, not a 16-token context
    session = Session(Params(prompt=prompt, steps=5), model_files, artifacts=fake_artifacts, roms=tiny_roms,
                      tokenizer=tokenizer, seq_len=16)
    last = session.run(lambda ev: None)
    assert isinstance(last, Failed) and "context" in last.reason and session.vice is None


@pytest.mark.vice
def test_story_events_and_tokens(model_files, tokenizer, fake_artifacts, tiny_roms):
    events = []
    session = make_session(Params(prompt="Zoo", steps=40, mode=2), model_files, tokenizer, fake_artifacts,
                           tiny_roms)
    last = session.run(events.append)
    assert isinstance(last, Finished), last
    ids = [(k & 63) + 10 for k in range(40)]
    tokens = [e for e in events if isinstance(e, TokenEmitted)]
    assert [t.token for t in tokens] == ids == list(last.tokens)
    assert [t.index for t in tokens] == list(range(40))
    assert all(t.cycles == 0x10000 for t in tokens)  # counter wraps after the 2nd token
    assert last.cycles_total == 40 * 0x10000 and last.cycles_per_token_mean == 0x10000
    assert last.text == "".join(t.text for t in tokens) == expected_text(tokenizer, session.prompt_tokens, ids)
    states = [e.state for e in events if isinstance(e, StateChanged)]
    assert states[:3] == [SessionState.STARTING, SessionState.BOOTED, SessionState.RUNNING]
    assert states[-1] == SessionState.DONE
    assert any(isinstance(e, Progress) for e in events)
    frame = [e for e in events if isinstance(e, ScreenFrame)][-1]
    assert frame.codes[:40] == bytes(ids) and len(frame.colours) == 1000
    assert gone(session.vice.proc.pid)


@pytest.mark.vice
def test_slow_poll_loses_no_token_within_the_ring(model_files, tokenizer, fake_artifacts, tiny_roms):
    # about 30 tokens arrive between two polls: all come out of the ring
    session = make_session(Params(prompt="Zoo", steps=RING_SIZE - 2, mode=1), model_files, tokenizer,
                           fake_artifacts, tiny_roms, poll_hz=1.0, screen=False)
    last = session.run(lambda ev: None)
    assert isinstance(last, Finished) and len(last.tokens) == RING_SIZE - 2


@pytest.mark.vice
def test_more_than_the_ring_between_polls_is_reported(model_files, tokenizer, fake_artifacts, tiny_roms):
    events = []
    session = make_session(Params(prompt="Zoo", steps=3 * RING_SIZE, mode=1), model_files, tokenizer,
                           fake_artifacts, tiny_roms, poll_hz=0.4, screen=False)
    last = session.run(events.append)
    assert isinstance(last, Finished)
    assert any(isinstance(e, StateChanged) and "lost" in e.detail for e in events)


@pytest.mark.vice
def test_c64_error_status_becomes_failed(model_files, tokenizer, fake_artifacts, tiny_roms, monkeypatch):
    monkeypatch.setattr(Params, "pack", lambda self: bytes(256))  # no magic: the fake says BAD_PARAMS
    last = make_session(Params(prompt="Zoo", steps=5), model_files, tokenizer, fake_artifacts, tiny_roms).run(
        lambda ev: None)
    assert isinstance(last, Failed) and "parameter block is invalid" in last.reason


@pytest.mark.vice
def test_vice_killed_mid_story_keeps_text(model_files, tokenizer, fake_artifacts, tiny_roms):
    events = []
    session = make_session(Params(prompt="Zoo", steps=2000, mode=2), model_files, tokenizer, fake_artifacts,
                           tiny_roms)

    def on_event(ev):
        events.append(ev)
        if isinstance(ev, TokenEmitted) and ev.index == 5:
            os.kill(session.vice.proc.pid, signal.SIGKILL)
    t0 = time.monotonic()
    last = session.run(on_event)
    assert time.monotonic() - t0 < 20
    assert isinstance(last, Failed) and "VICE" in last.reason and "SIGKILL" in last.reason
    assert last.text_so_far and last.text_so_far == "".join(e.text for e in events if isinstance(e, TokenEmitted))
    assert gone(session.vice.proc.pid)


@pytest.mark.vice
def test_stopped_vice_times_out(model_files, tokenizer, fake_artifacts, tiny_roms):
    session = make_session(Params(prompt="Zoo", steps=2000, mode=2), model_files, tokenizer, fake_artifacts,
                           tiny_roms, monitor_timeout=1.0)

    def on_event(ev):
        if isinstance(ev, TokenEmitted) and ev.index == 3:
            os.kill(session.vice.proc.pid, signal.SIGSTOP)
    last = session.run(on_event)
    assert isinstance(last, Failed) and "stopped answering" in last.reason and last.text_so_far
    assert gone(session.vice.proc.pid)


@pytest.mark.vice
def test_cancel_stops_vice(model_files, tokenizer, fake_artifacts, tiny_roms):
    cancel = threading.Event()
    session = make_session(Params(prompt="Zoo", steps=2000, mode=2), model_files, tokenizer, fake_artifacts,
                           tiny_roms)

    def on_event(ev):
        if isinstance(ev, TokenEmitted) and ev.index == 2:
            cancel.set()
    last = session.run(on_event, cancel)
    assert isinstance(last, StateChanged) and last.state == SessionState.STOPPED
    assert gone(session.vice.proc.pid)
