"""Memory layouts: reu_map.json, the ld65 map's segment list, and what a forward pass reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from build_chain.blocks import Phase
from gui64.memmap import (MemoryMapError, kv_filled_bytes, load_ram_map, load_reu_map, parse_ld65_map, region_at,
                          regions_read)

DATA = Path(__file__).parent / "ui" / "data"


def covers(regions, size):
    at = 0
    for r in regions:
        assert r.offset == at, f"gap or overlap before {r.name}"
        at = r.end
    return at == size


def test_ld65_segment_list_is_parsed_and_empty_segments_skipped():
    segments = parse_ld65_map((DATA / "llama64.map").read_text())
    names = [s.name for s in segments]
    assert names[:3] == ["ZEROPAGE", "EXTZP", "LOADADDR"]
    assert "EMPTY" not in names
    code = segments[names.index("CODE")]
    assert (code.start, code.end, code.size) == (0x0840, 0x35FF, 0x2DC0)


def test_ram_map_covers_64k_with_program_system_and_free_parts():
    regions = load_ram_map(DATA / "llama64.map")
    assert covers(regions, 0x10000)
    kinds = {r.name: r.kind for r in regions}
    assert kinds["CODE"] == "program" and kinds["TABLES"] == "tables" and kinds["BSS"] == "buffers"
    assert region_at(regions, 0xD020).name == "I/O + colour RAM"
    assert region_at(regions, 0x0400).name == "screen RAM"
    assert region_at(regions, 0xC000).kind == "free"


def test_a_file_without_segment_list_is_refused_with_advice():
    with pytest.raises(MemoryMapError, match="ld65 -m"):
        parse_ld65_map("Modules list:\n")


def test_reu_map_fixture_is_read_and_covers_the_reu():
    reu = load_reu_map(DATA / "reu_map.json")
    assert covers(reu.regions, reu.reu_size)
    assert reu.totals() == (reu.reu_size - 16384 - 65536, 16384 + 65536)


def test_overlapping_reu_regions_are_refused(tmp_path):
    data = json.loads((DATA / "reu_map.json").read_text())
    data["regions"][1]["offset"] = 100
    (tmp_path / "reu_map.json").write_text(json.dumps(data))
    with pytest.raises(MemoryMapError, match="export the model again"):
        load_reu_map(tmp_path / "reu_map.json")


def test_regions_read_follow_layer_and_phase():
    regions = load_reu_map(DATA / "reu_map.json").regions
    assert [r.name for r in regions_read(regions, 1, Phase.QKV)] == ["L1.wq"]
    assert [r.name for r in regions_read(regions, 0, Phase.FFN)] == ["L0.w1"]
    assert [r.name for r in regions_read(regions, 1, Phase.ATTENTION)] == ["kv.k.L1", "kv.v.L1"]
    assert [r.name for r in regions_read(regions, 4, Phase.CLASSIFIER)] == ["cls"]
    assert regions_read(regions, 0, Phase.SAMPLE) == []


def test_kv_cache_fills_one_position_at_a_time():
    regions = load_reu_map(DATA / "reu_map.json").regions
    k1 = next(r for r in regions if r.name == "kv.k.L1")  # 16384 bytes / 512 positions = 32 per position
    assert kv_filled_bytes(k1, 512, position=10, layer=0) == 10 * 32
    assert kv_filled_bytes(k1, 512, position=10, layer=1) == 11 * 32
    assert kv_filled_bytes(k1, 512, position=600, layer=1) == k1.length


def test_real_export_map_is_read(tmp_path, model_files):
    from build_chain.export import export_model
    result = export_model(model_files.checkpoint, model_files.tokenizer, tmp_path)
    reu = load_reu_map(result.reu_map)
    assert covers(reu.regions, reu.reu_size)
    names = {r.name for r in reu.regions}
    assert {"emb", "cls", "kv.k.L0", "kv.v.L4", "L4.w2"} <= names
    assert [r.name for r in regions_read(reu.regions, 2, Phase.QKV) if not r.name.endswith("scales")] \
        == ["L2.wq", "L2.wk", "L2.wv"]
