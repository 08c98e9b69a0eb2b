"""Plain-Python events a story run emits (no Qt): the contract between the session and its views.

The CLI prints them; the GUI re-emits them as queued Qt signals. All are frozen dataclasses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SessionState(enum.Enum):
    """Life of one story run."""

    IDLE = "idle"
    BUILDING = "building"  # export + PRG build (cached)
    STARTING = "starting"  # emulator / device starting, REU image loading
    BOOTED = "booted"  # machine idles in ROM, program injected
    ENCODING = "encoding"  # C64 encodes the prompt
    RUNNING = "running"  # C64 generating tokens
    DONE = "done"
    STOPPED = "stopped"  # cancelled by the user
    FAILED = "failed"


@dataclass(frozen=True)
class StateChanged:
    state: SessionState
    detail: str = ""


@dataclass(frozen=True)
class ScreenFrame:
    """One snapshot of the C64 text screen."""

    codes: bytes  # 1000 screen codes, row-major 40x25
    colours: bytes  # 1000 colour nibbles (0..15)
    border: int  # 0..15
    background: int  # 0..15
    lowercase: bool  # character set: True = upper/lower case bank


@dataclass(frozen=True)
class TokenEmitted:
    index: int  # 0-based index among generated tokens
    token: int  # token id
    text: str  # decoded piece as printed
    position: int  # sequence position the token was sampled at
    cycles: int  # C64 cycles this token took (from the previous token or from the start)


@dataclass(frozen=True)
class Progress:
    """Where the C64 is within the current token."""

    position: int
    layer: int
    n_layers: int
    phase: int  # build_chain.blocks.Phase value
    tokens_done: int
    tokens_requested: int
    n_prompt: int
    cycles: int  # C64 cycles since generation started


@dataclass(frozen=True)
class Finished:
    text: str
    tokens: tuple  # generated token ids
    cycles_total: int
    cycles_per_token_mean: float
    wall_s: float


@dataclass(frozen=True)
class Failed:
    reason: str  # what happened
    remedy: str  # what to do
    text_so_far: str = ""


Event = StateChanged | ScreenFrame | TokenEmitted | Progress | Finished | Failed
