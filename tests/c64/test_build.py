"""The build chain around cc65: label/map parsing, generated headers, the `gui64 build` CLI's errors."""

from __future__ import annotations

from build_chain import blocks
from build_chain.build import generated_headers, main
from build_chain.labels import parse_labels, parse_segments

MAP = """\
Modules list:
-------------
start.o:
    CODE              Offs=000000  Size=000012  Align=00001  Fill=0000

Segment list:
-------------
Name                   Start     End    Size  Align
----------------------------------------------------
ZEROPAGE              000002  00001B  00001A  00001
CODE                  000882  0036B8  002E37  00001


Exports list by name:
---------------------
_main                     0012A3 RLA
"""


def test_label_file_lines_become_names_without_dot():
    labels = parse_labels("al 000200 ._params\nal 00080D .start\nal 00E0A1 .idle\ngarbage\n")
    assert labels == {"_params": 0x200, "start": 0x80D, "idle": 0xE0A1}


def test_map_segment_list_is_parsed_and_stops_at_the_next_section():
    segs = parse_segments(MAP)
    assert list(segs) == ["ZEROPAGE", "CODE"]
    assert (segs["CODE"].start, segs["CODE"].end, segs["CODE"].size) == (0x882, 0x36B8, 0x2E37)


def test_generated_field_offsets_follow_the_python_layout():
    fields = generated_headers()["fields.h"]
    assert "#define P_STEPS 6" in fields and "#define P_SEED 12" in fields and "#define P_MODE 16" in fields
    assert "#define S_COUNT 12" in fields and "#define S_HEARTBEAT 22" in fields
    assert f"#define RING_ENTRY_SIZE {blocks.RING_ENTRY.size}" in fields
    assert generated_headers()["blocks.h"] == blocks.c_header()


def test_missing_cc65_is_one_line_naming_the_package(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "install the Debian package `cc65`" in err


def test_cli_builds_into_a_folder_and_says_what(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "llama64.prg" in out and "start $080D" in out and "params $0200" in out
    assert (tmp_path / "bootrom" / "kernal.bin").is_file()
