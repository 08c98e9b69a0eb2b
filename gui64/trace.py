"""`gui64 trace`: stop the C64 after each forward-pass stage at one position and compare it with the twin.

The C64 program calls an empty global function after every stage (labels ``_trace_embed`` ...
``_trace_logits``, with ``_trace_layer`` holding the layer); checkpoints on those labels stop
it there, the stage's buffer is read through the monitor and printed beside the integer
twin's value at the same position, and the first stage and index that differ are named.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from build_chain.blocks import Params, Status, STATUS_SIZE
from gui64.errors import Gui64Error

# stage label -> (twin trace key with {l} for the layer, C64 buffer label, element dtype, length attribute)
STAGES = {
    "trace_embed": ("embed", "model_x", "<i2", "dim"),
    "trace_q": ("L{l}.q", "model_q", "<i2", "dim"),
    "trace_k": ("L{l}.k", "model_k", "<i2", "kv_dim"),
    "trace_v": ("L{l}.v", "model_v", "<i2", "kv_dim"),
    "trace_att": ("L{l}.att", "model_att", "<i2", "dim"),
    "trace_x_att": ("L{l}.x_att", "model_x", "<i2", "dim"),
    "trace_h1": ("L{l}.h1", "model_hb", "<i2", "hidden"),
    "trace_h3": ("L{l}.h3", "model_h3", "<i2", "hidden"),
    "trace_hb": ("L{l}.hb", "model_hb", "<i2", "hidden"),
    "trace_x_ffn": ("L{l}.x_ffn", "model_x", "<i2", "dim"),
    "trace_logits": ("logits", "model_logits", "<i4", "vocab"),
}


@dataclasses.dataclass(frozen=True)
class StageResult:
    key: str  # twin trace key, e.g. 'L2.q'
    c64: np.ndarray
    twin: np.ndarray

    @property
    def first_difference(self) -> int | None:
        diff = np.nonzero(self.c64 != self.twin)[0]
        return int(diff[0]) if len(diff) else None


def twin_trace(twin, prompt_tokens: list, position: int) -> dict:
    """The twin's stage buffers at ``position`` of a greedy run of the prompt."""
    twin.reset()
    token = prompt_tokens[0]
    for pos in range(position + 1):
        trace: dict = {}
        logits = twin.forward(token, pos, trace)
        if pos == position:
            return trace
        token = prompt_tokens[pos + 1] if pos + 1 < len(prompt_tokens) else int(np.argmax(logits))
    raise AssertionError("unreachable")


def c64_trace(artifacts, roms, emulator: str, params: Params, position: int, sizes: dict,
              timeout: float = 120.0) -> list:
    """Run the program in VICE and collect (stage label, layer, buffer) at every stage of ``position``."""
    from build_chain.labels import read_labels
    from gui64.machine import protocol as p
    from gui64.machine.vice import Vice
    from gui64.session import program_entry

    labels = read_labels(artifacts.labels)
    missing = [name for name in ["_params", "_status", "_trace_layer"] + [f"_{s}" for s in STAGES]
               if name not in labels]
    if missing:
        raise Gui64Error(f"the program has no trace labels {', '.join(missing)}: build it again.")
    prg = Path(artifacts.prg).read_bytes()
    by_addr = {labels[f"_{s}"]: s for s in STAGES}
    found = []
    with Vice(emulator, roms, artifacts.reu, warp=True) as vice:
        vice.wait_idle()
        mon = vice.monitor
        ram = mon.banks().get("ram", 0)

        def read(addr: int, nbytes: int) -> bytes:
            return mon.memory_get(addr, addr + nbytes - 1, bank=ram)

        first = mon.checkpoint_set(labels["_trace_embed"], op=p.Op.EXEC)
        mon.drain_events()
        vice.inject(prg, program_entry(prg, labels), ((labels["_params"], params.pack()),))
        while True:  # run to the embed stage of the wanted position
            mon.wait_event((p.ResponseType.STOPPED,), timeout=timeout)
            status = Status.parse(read(labels["_status"], STATUS_SIZE))
            if status.pos >= position:
                break
            mon.resume()
        if status.pos != position:
            raise Gui64Error(f"the C64 never computed position {position} (it stopped at {status.pos}).")
        mon.checkpoint_delete(first)
        for addr in by_addr:
            mon.checkpoint_set(addr, op=p.Op.EXEC)
        pc = labels["_trace_embed"]
        while True:
            stage = by_addr[pc]
            layer = read(labels["_trace_layer"], 1)[0]
            _, buffer, dtype, size = STAGES[stage]
            n = sizes[size]
            data = np.frombuffer(read(labels[f"_{buffer}"], n * np.dtype(dtype).itemsize), dtype).astype(np.int64)
            found.append((stage, layer, data))
            if stage == "trace_logits":
                return found
            mon.drain_events()
            mon.resume()
            ev = mon.wait_event((p.ResponseType.STOPPED,), timeout=timeout)
            pc = p.parse_pc(ev.body)


def compare(found: list, trace: dict) -> list:
    """Pair the C64's buffers with the twin's trace values."""
    out = []
    for stage, layer, data in found:
        key = STAGES[stage][0].format(l=layer)
        out.append(StageResult(key, data, np.asarray(trace[key], np.int64)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gui64 trace", description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="Once upon a time")
    parser.add_argument("--position", type=int, default=0, help="sequence position to trace (default 0)")
    parser.add_argument("--emulator", choices=("x64", "x64sc"), default="x64")
    parser.add_argument("--model-dir")
    parser.add_argument("--roms", help="folder with Commodore ROMs")
    parser.add_argument("--reu", help="trace with this weights.reu instead of the exported model")
    parser.add_argument("--show", type=int, default=8, help="values to print per stage (default 8)")
    args = parser.parse_args(argv)

    from build_chain.errors import BuildChainError
    from build_chain.tokenizer import Tokenizer
    from build_chain.twin import Twin
    from gui64.artifacts import ensure_artifacts
    from gui64.machine import MachineError
    from gui64.machine.vice import find_emulator, find_roms
    from gui64.models import find_model_files

    try:
        files = find_model_files(args.model_dir)
        tokens = Tokenizer.load(files.tokenizer).encode(args.prompt)
        artifacts = ensure_artifacts(files)
        if args.reu:
            artifacts = dataclasses.replace(artifacts, reu=Path(args.reu))
        twin = Twin(artifacts.reu)
        if not 0 <= args.position < twin.seq_len - 1:
            raise Gui64Error(f"position {args.position} is outside the context (0..{twin.seq_len - 2}).")
        steps = max(1, args.position - len(tokens) + 2)
        params = Params(prompt=args.prompt, steps=steps, temperature=0.0)
        sizes = {"dim": twin.dim, "kv_dim": twin.kv_dim, "hidden": twin.hidden, "vocab": twin.vocab}
        found = c64_trace(artifacts, find_roms(args.roms), find_emulator(args.emulator), params, args.position,
                          sizes)
        results = compare(found, twin_trace(twin, tokens, args.position))
    except (Gui64Error, BuildChainError, MachineError) as exc:
        print(f"gui64 trace: {exc}", file=sys.stderr)
        return 1
    first_bad = None
    for r in results:
        idx = r.first_difference
        mark = "ok " if idx is None else "DIFF"
        print(f"{mark} {r.key:<10} c64  {r.c64[:args.show].tolist()}")
        print(f"     {'':<10} twin {r.twin[:args.show].tolist()}")
        if idx is not None and first_bad is None:
            first_bad = (r, idx)
    if first_bad is None:
        print(f"trace: position {args.position}: all {len(results)} stages equal the twin")
        return 0
    r, idx = first_bad
    print(f"trace: position {args.position}: first difference at stage {r.key} index {idx}: "
          f"c64 {int(r.c64[idx])} twin {int(r.twin[idx])}")
    return 3


if __name__ == "__main__":
    sys.exit(main())
