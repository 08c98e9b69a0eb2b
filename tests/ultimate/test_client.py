"""The Ultimate client against the loopback simulator (no VICE): preflight, upload and each fault."""

from __future__ import annotations

import logging
import socket

import pytest

from gui64.machine import ultimate_protocol as up
from gui64.machine.ultimate import (ReuSettingError, ServiceOff, Ultimate, UploadInterrupted, Unreachable,
                                    WrongPassword)

from .conftest import make_image
from .simulator import LOOPBACK, UltimateSimulator

SECRET = "s3cr3t-Pa55"


def device(sim, password=None, timeout=2.0) -> Ultimate:
    return Ultimate(LOOPBACK, sim.http_port, sim.dma_port, password=password, timeout=timeout)


def test_preflight_reports_version_firmware_and_reu(sim):
    sim.config[up.CARTRIDGE_CATEGORY][up.ITEM_REU] = "Enabled"
    pre = device(sim).preflight(256 * 1024)
    assert pre.api_version == "0.1"
    assert pre.summary() == "Ultimate 64 firmware 3.14e, REST API 0.1, REU 2 MB"
    assert pre.dma_title == "Ultimate 64 V3.14e"
    assert pre.changed == ()


def test_rest_service_off_names_the_service_to_enable():
    with UltimateSimulator(rest=False, lifetime=10) as sim:
        with pytest.raises(ServiceOff) as err:
            device(sim).preflight()
    assert err.value.service is up.Service.REST
    assert "Web Remote Control Service" in str(err.value)


def test_dma_service_off_names_the_service_to_enable():
    with UltimateSimulator(dma=False, reu_mode="Enabled", lifetime=10) as sim:
        with pytest.raises(ServiceOff) as err:
            device(sim).preflight(128 * 1024)
    assert "Ultimate DMA Service" in str(err.value)


def test_a_device_that_never_answers_is_reported_unreachable_within_the_timeout():
    with socket.socket() as silent:  # accepts (backlog) but never answers
        silent.bind((LOOPBACK, 0))
        silent.listen(1)
        dev = Ultimate(LOOPBACK, silent.getsockname()[1], timeout=0.5)
        with pytest.raises(Unreachable) as err:
            dev.version()
    assert "did not answer within" in str(err.value)


def test_an_unknown_host_name_says_to_check_the_address():
    with pytest.raises(Unreachable) as err:
        Ultimate("no-such-host.invalid", timeout=1.0).version()
    assert "check the address" in str(err.value)


@pytest.mark.parametrize("given", [None, "wrong"])
def test_wrong_or_missing_password_is_refused_with_403(given):
    with UltimateSimulator(password=SECRET, lifetime=10) as sim:
        with pytest.raises(WrongPassword) as err:
            device(sim, given).version()
    assert "403" in str(err.value)


def test_wrong_password_on_the_dma_service_is_refused():
    with UltimateSimulator(password=SECRET, lifetime=10) as sim:
        with pytest.raises(WrongPassword) as err:
            device(sim, "wrong").identify()
    assert "DMA service" in str(err.value)


def test_the_password_goes_only_into_the_header_and_is_never_logged(caplog):
    caplog.set_level(logging.DEBUG)
    with UltimateSimulator(password=SECRET, reu_mode="Enabled", lifetime=10) as sim:
        dev = device(sim, SECRET)
        dev.preflight(128 * 1024)
        dev.upload_reu(make_image(128 * 1024))
        assert SECRET not in repr(dev)
        assert all(SECRET not in url for _m, url, _h in sim.requests)
        assert all(h.get(up.PASSWORD_HEADER) == SECRET for _m, _u, h in sim.requests)
        assert sim.dma_frames[0][0] == up.Opcode.AUTHENTICATE
    assert SECRET not in caplog.text


@pytest.mark.parametrize("mode, size, problem", [("Disabled", "2 MB", "the REU is disabled"),
                                                 ("Enabled", "128 KB", "the REU is 128 KB but the image needs 256 KB")])
def test_reu_disabled_or_too_small_is_refused_with_the_settings_to_change(sim, mode, size, problem):
    sim.config[up.CARTRIDGE_CATEGORY].update({up.ITEM_REU: mode, up.ITEM_REU_SIZE: size})
    with pytest.raises(ReuSettingError) as err:
        device(sim).preflight(256 * 1024)
    assert problem in str(err.value)
    assert "`RAM Expansion Unit` = Enabled and `REU Size` = 256 KB" in str(err.value)
    assert sim.config[up.CARTRIDGE_CATEGORY][up.ITEM_REU] == mode  # nothing changed unasked


def test_fix_reu_sets_enable_and_size_through_the_config_api_and_says_so(sim):
    sim.config[up.CARTRIDGE_CATEGORY].update({up.ITEM_REU: "Disabled", up.ITEM_REU_SIZE: "128 KB"})
    said = []
    pre = device(sim).preflight(1 << 20, fix_reu=True, say=said.append)
    assert sim.config[up.CARTRIDGE_CATEGORY] [up.ITEM_REU] == "Enabled"
    assert sim.config[up.CARTRIDGE_CATEGORY][up.ITEM_REU_SIZE] == "1 MB"
    assert pre.reu.enabled and pre.reu.size == 1 << 20
    assert said == ["set `RAM Expansion Unit` to Enabled on 127.0.0.1 (until power-off; not saved to flash)",
                    "set `REU Size` to 1 MB on 127.0.0.1 (until power-off; not saved to flash)"]


def test_upload_assembles_the_image_and_reports_progress_and_speed(sim):
    image = make_image(1 << 20)
    seen = []
    report = device(sim).upload_reu(image, progress=seen.append)
    assert bytes(sim.reu[:len(image)]) == image
    assert [p.done for p in seen] == sorted(p.done for p in seen) and seen[-1].done == len(image)
    assert all(p.total == len(image) and p.bytes_per_s > 0 for p in seen)
    assert report.total == len(image) and report.retries == 0
    chunks = [n for op, n in sim.dma_frames if op == up.Opcode.REUWRITE]
    assert max(chunks) == up.REU_CHUNK_MAX + 3 and len(chunks) == -(-len(image) // up.REU_CHUNK_MAX)


def test_an_upload_cut_midway_resumes_from_the_first_unconfirmed_chunk(sim):
    image = make_image(1 << 20)
    sim.cut_dma_after(300_000)  # inside the second batch
    report = device(sim).upload_reu(image)
    assert sim.cuts == 1 and report.retries == 1
    assert bytes(sim.reu[:len(image)]) == image
    written = sum(n - 3 for op, n in sim.dma_frames if op == up.Opcode.REUWRITE)
    assert written < len(image) + 5 * up.REU_CHUNK_MAX  # only the unconfirmed batch went twice


def test_an_upload_that_keeps_breaking_says_where_to_resume_and_resuming_completes_it(sim):
    image = make_image(1 << 20)
    sim.cut_dma_after(300_000, 1000, 1000)
    dev = device(sim)
    with pytest.raises(UploadInterrupted) as err:
        dev.upload_reu(image, retries=2)
    offset = err.value.resume_offset
    assert offset == 4 * up.REU_CHUNK_MAX  # the first batch was confirmed
    assert f"at byte {offset} of {len(image)}" in str(err.value)
    sim.reu[offset:len(image)] = bytes(len(image) - offset)  # prove the resume really sends the rest
    dev.upload_reu(image, start=offset)
    assert bytes(sim.reu[:len(image)]) == image


def test_probe_never_raises_and_says_what_it_found(sim):
    state = device(sim).probe()
    assert state.reachable and state.firmware == "3.14e" and state.reu == "REU disabled" and not state.problem
    with UltimateSimulator(rest=False, lifetime=10) as off:
        state = device(off).probe()
    assert not state.reachable or "Web Remote Control Service" in state.problem


def test_readmem_and_writemem_go_through_small_requests(sim):
    dev = device(sim)
    dev.writemem(0xC000, bytes(range(256)))
    assert dev.readmem(0xC000, 256) == bytes(range(256))
    puts = [url for m, url, _h in sim.requests if m == "PUT" and "writemem" in url]
    assert len(puts) == 2 and "address=C080" in puts[0]  # the tail first, the head last
    dev.readmem(0x0400, 3000)
    reads = [url for m, url, _h in sim.requests if "readmem" in url]
    assert all(int(u.split("length=")[1]) <= 1024 for u in reads)
