"""Stand-ins for the session in UI tests: a scripted event stream shaped like a real run's."""

from __future__ import annotations

import threading
from pathlib import Path

from build_chain.blocks import Phase
from gui64.events import Finished, Progress, ScreenFrame, SessionState, StateChanged, TokenEmitted
from gui64.ui import c64screen

HERE = Path(__file__).parent
STORY_PIECES = (" there", " was", " a", " little", " girl", " named", " Lily", ".", " She", " loved",
                " to", " play", " with", " her", " red", " ball", " in", " the", " park", ".")
CYCLES_A, CYCLES_B = 9_800_000, 45_000  # a plausible integer program: ~10 s per token on a C64


def frame_showing(text: str) -> ScreenFrame:
    """The C64 screen with the program's title line and ``text`` below it."""
    body = "llama2 on c64 - stories260k\n\n" + text
    codes = c64screen.text_codes(body, lowercase=True)
    colours = bytes([1] * 40 + [13] * 40 + [14] * 920)
    return ScreenFrame(codes=codes, colours=colours, border=14, background=6, lowercase=True)


def story_events(prompt: str = "Once upon a time", pieces=STORY_PIECES, n_prompt: int = 5,
                 n_layers: int = 5, finish: bool = True) -> list:
    """The events a run writing ``pieces`` would emit, with cycles from a + b * position."""
    events: list = [StateChanged(SessionState.STARTING), StateChanged(SessionState.BOOTED),
                    StateChanged(SessionState.ENCODING)]
    steps = len(pieces)
    cycles = 0
    text = prompt
    events.append(frame_showing(text))
    for index, piece in enumerate(pieces):
        position = n_prompt - 1 + index
        passes = range(0, position + 1) if index == 0 else [position]
        token_cycles = 0
        for p in passes:
            for layer in range(n_layers):
                for phase in (Phase.QKV, Phase.ATTENTION, Phase.OUTPUT, Phase.FFN):
                    events.append(Progress(position=p, layer=layer, n_layers=n_layers, phase=int(phase),
                                           tokens_done=index, tokens_requested=steps, n_prompt=n_prompt,
                                           cycles=cycles + token_cycles))
                    token_cycles += (CYCLES_A + CYCLES_B * p) // (n_layers * 4)
        if index == 0:
            events.append(StateChanged(SessionState.RUNNING))
        cycles += token_cycles
        text += piece
        events.append(TokenEmitted(index=index, token=100 + index, text=piece, position=position, cycles=token_cycles))
        events.append(frame_showing(text))
    if finish:
        events.append(StateChanged(SessionState.DONE))
        events.append(Finished(text=text, tokens=tuple(range(100, 100 + steps)), cycles_total=cycles,
                               cycles_per_token_mean=cycles / steps, wall_s=1.0))
    return events


class ScriptedSession:
    """Emits a fixed list of events, then (optionally) waits for cancel like a session mid-story.

    Attributes:
        cancelled: set when the run saw the cancel event.
        ran_on: the thread the run executed on.
    """

    def __init__(self, events, hold_until_cancel: bool = False, hold_timeout_s: float = 30.0,
                 seconds_per_token: float = 0.0):
        self.events = list(events)
        self.seconds_per_token = seconds_per_token  # host time a token takes (0: as fast as possible)
        self.hold_until_cancel = hold_until_cancel
        self.hold_timeout_s = hold_timeout_s
        self.cancelled = threading.Event()
        self.ran_on: threading.Thread | None = None

    def run(self, on_event, cancel: threading.Event):
        self.ran_on = threading.current_thread()
        for event in self.events:
            if cancel.is_set():
                break
            on_event(event)
            if self.seconds_per_token and isinstance(event, TokenEmitted):
                cancel.wait(self.seconds_per_token)
        if self.hold_until_cancel:
            cancel.wait(self.hold_timeout_s)
        if cancel.is_set():
            self.cancelled.set()
            on_event(StateChanged(SessionState.STOPPED))
        return None
