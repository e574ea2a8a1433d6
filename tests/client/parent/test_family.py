"""Child settings, family and devices, and the server screen's view-models on the real server."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from client.viewmodels.parent import ChildSettingsVM, FamilyVM, ServerVM
from client.viewmodels.parent.qr import qr_matrix
from tests.client.core.conftest import BASE_URL, make_runtime
from tests.helpers import PASSWORD

from .conftest import Family, tools_for

pytestmark = pytest.mark.anyio


def rules_of(f: Family, profile=None):
    return (profile or f.kid).view().books[f.child_id].rules()


async def test_a_preset_becomes_the_childs_rules_after_the_password(family: Family) -> None:
    f = family
    vm = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    vm.attach()
    assert vm.name == "지우" and vm.preset == "classic" and not vm.dirty
    assert vm.rate == "Conversion: G₩1,000 → ₩100"
    vm.apply_preset("realistic")
    assert vm.dirty and vm.texts["fee_bps"] == "0.15" and vm.preset == "realistic"
    assert await vm.save_rules() is False and vm.ask_step_up  # rules need the password again
    assert await vm.confirm_step_up(PASSWORD)
    assert vm.notice == "New rules for 지우 apply from now on; nothing in the past changes."
    await f.parent.sync_now()
    await f.kid.sync_now()
    rules = rules_of(f)
    assert (rules.fee_bps, rules.fx_spread_bps, rules.limit_orders) == (15, 100, True)
    assert vm.preset == "realistic" and not vm.dirty


async def test_a_bad_rule_value_is_refused_here_and_nothing_is_sent(family: Family) -> None:
    f = family
    vm = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    vm.set_field("fee_bps", "50")  # 50 %: beyond the 10 % the rules allow
    vm.set_field("min_request", "lots")
    vm.toggle_market("KRX", False)
    vm.toggle_market("US", False)
    assert await vm.save_rules() is False
    assert vm.field_errors == {
        "fee_bps": "This value is out of range.",
        "min_request": "Type a whole number.",
        "markets": "Choose at least one market.",
    }
    assert vm.error == "Please fix the marked fields." and f.parent.view().pending == []
    vm.discard()
    assert vm.texts["fee_bps"] == "0" and not vm.dirty and vm.field_errors == {}


async def test_cooling_off_hours_are_saved_as_seconds(family: Family) -> None:
    f = family
    await f.runtime.step_up(f.parent, PASSWORD)
    vm = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    assert vm.texts["cooling_off_s"] == "24"
    vm.set_field("cooling_off_s", "48")
    vm.set_field("second_parent_threshold", "1,000")
    assert await vm.save_rules()
    await f.parent.sync_now()
    assert (rules_of(f, f.parent).cooling_off_s, rules_of(f, f.parent).second_parent_threshold) == (
        48 * 3600,
        1_000,
    )


async def test_a_grant_needs_an_amount_and_a_reason(family: Family) -> None:
    f = family
    vm = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    before = f.kid.view().books[f.child_id].stats().invested
    vm.set_grant(amount="0", reason="생일")
    assert await vm.give_grant() is False and vm.error == "Type an amount above 0."
    vm.set_grant(amount="50,000", reason=" ")
    assert await vm.give_grant() is False and vm.error == "Please write a reason."
    vm.set_grant(reason="생일 축하해")
    assert await vm.give_grant() and not vm.ask_step_up  # a grant needs no step-up
    assert vm.notice == "G₩50,000 given to 지우."
    await f.parent.sync_now()
    await f.kid.sync_now()
    assert f.kid.view().books[f.child_id].stats().invested == before + 50_000


async def test_pin_reset_needs_the_password_and_the_new_pin_works(family: Family) -> None:
    f = family
    vm = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    vm.set_pin("12")
    assert await vm.reset_pin() is False and vm.error == "A PIN is 4 to 6 digits."
    vm.set_pin("739154")
    assert await vm.reset_pin() is False and vm.ask_step_up
    assert await vm.confirm_step_up(PASSWORD)
    assert vm.notice == "지우's new PIN works now."
    kid_runtime = f.home.kids[0][0]
    profile = await kid_runtime.unlock_child(f.kid.identity, "739154")
    assert profile.identity.user_id == f.child_id


async def test_pairing_code_with_qr_enrols_a_new_device(family: Family, tmp_path: Path) -> None:
    f = family
    vm = FamilyVM(f.parent, f.tools, f.runtime)
    await vm.load()
    assert [(name, role) for _, name, role in vm.members] == [("엄마", "parent"), ("지우", "child")] or [
        (name, role) for _, name, role in vm.members
    ] == [("지우", "child"), ("엄마", "parent")]
    assert {d.name for d in vm.devices} == {"laptop", "tablet 0"}
    code = await vm.pairing_code("child_device", f.child_id)
    assert code is not None and code.for_whom == "Code for 지우's device"
    assert code.expires.startswith("Type it or scan it on the other device. Works once, until ")
    width, height = struct.unpack(">II", code.png[16:24])
    assert code.png.startswith(b"\x89PNG") and width == height == len(qr_matrix(code.code)) * 8
    runtime, _, _ = await make_runtime(f.server, tmp_path / "phone")
    try:
        phone = await runtime.enroll_with_code(BASE_URL, code.code, "phone")
        assert phone.identity.user_id == f.child_id
    finally:
        await runtime.close()


async def test_revoking_a_device_needs_the_password_and_signs_it_out(family: Family) -> None:
    f = family
    vm = FamilyVM(f.parent, f.tools, f.runtime)
    await vm.load()
    tablet = next(d for d in vm.devices if d.name == "tablet 0")
    assert next(d for d in vm.devices if d.name == "laptop").this_device
    assert await vm.revoke(tablet.client_id) is False and vm.ask_step_up
    assert await vm.confirm_step_up(PASSWORD)
    assert vm.notice == "The device was disconnected; it can't sign in any more."
    assert next(d for d in vm.devices if d.client_id == tablet.client_id).revoked
    f.kid.api.session.forget()  # the access token would live 15 more minutes; the refresh is refused now
    await f.kid.sync_now()
    assert str(f.kid.view().status.state) == "signed_out"


async def test_online_only_screens_say_so_offline(family: Family) -> None:
    f = family
    f.parent_net.down = True
    vm = FamilyVM(f.parent, f.tools, f.runtime)
    await vm.load()
    assert vm.family is None and vm.error == (
        "This needs the internet. Connect and try again; nothing was changed."
    )
    vm.set_new_child(name="하준", year="2017", pin="583920")
    assert await vm.add_child() is False
    server = ServerVM(f.parent, f.tools, f.runtime)
    assert server.url == BASE_URL
    assert await server.test() is False and server.result is not None
    assert server.result.startswith("No connection: This needs the internet.")
    f.parent_net.down = False
    assert await server.test() and server.result is not None and server.result.startswith("Connected")
    assert await vm.add_child()
    assert vm.notice == "하준 was added. Now connect a device for them."
    assert "하준" in [name for _, name in vm.kids]


async def test_a_parent_downloads_the_familys_data_and_schedules_then_cancels_an_erasure(
    family: Family, tmp_path: Path
) -> None:
    f = family
    vm = FamilyVM(f.parent, f.tools, f.runtime)
    await vm.load()
    assert await vm.export_data(tmp_path / "downloads") is None and vm.ask_step_up
    assert await vm.confirm_step_up(PASSWORD)
    saved = next((tmp_path / "downloads").iterdir())
    assert vm.notice == f"Saved: {saved}"
    archive = zipfile.ZipFile(saved)
    assert sorted(archive.namelist()) == ["ledger.csv", "yongdon.json"]
    document = json.loads(archive.read("yongdon.json"))
    assert f.child_id in {u["id"] for u in document["tables"]["users"]}
    child_file = await vm.export_data(tmp_path / "one", f.child_id)
    assert child_file is not None and "child" in child_file.name

    vm.ask_erase(f.child_id)  # nothing is sent before the parent confirms
    await vm.load_erasures()
    assert vm.erasures == [] and vm.confirming == f.child_id
    assert await vm.erase()
    assert vm.notice == "The erasure is scheduled. You can cancel it any time before then."
    line = vm.erasure_line(f.child_id)
    assert line is not None and line.startswith("Will be erased on ")
    assert vm.erasure_line(None) is None  # the family itself is not
    assert await vm.cancel_erasure(f.child_id)
    assert vm.erasures == [] and vm.notice == "The erasure was cancelled. Nothing will be erased."


async def test_the_data_rights_words_are_in_korean_too(family: Family) -> None:
    ko = tools_for(family.server, "ko").tr
    assert ko("parent.rights.export_family") == "가족 데이터 내려받기"
    assert ko("parent.rights.erase_child", name="지우") == "지우의 기록 지우기"
