"""A state machine over appends, rotations (with and without rewrap), shreds and restores: every live
fragment restores to its value, every shredded one is blocked, one key version is active, the chain verifies."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orchestra.app import Orchestra
from orchestra.fragments import local_operator
from tests.fragments.helpers import HUMAN, SCOPE, policy, write_config

VALUES = st.text(alphabet="abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=24)


class FragmentLife(RuleBasedStateMachine):
    """The model: fragment id -> value for live fragments, and the set of shredded ids."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="frag-sm-"))
        (self.root / ".git").mkdir()
        write_config(self.root, policy())
        self.app = Orchestra.open(self.root)
        self.thread = self.app.chat.create_thread(SCOPE, "sm", HUMAN).id
        self.live: dict[str, str] = {}
        self.shredded: set[str] = set()
        self.count = 0

    @rule(value=VALUES)
    def append(self, value: str) -> None:
        self.count += 1
        message = self.app.chat.append_message(SCOPE, self.thread, f"password=Zq9{value}", HUMAN,
                                               f"k-{self.count}").message
        [shadow] = self.app.fragments.list_fragments(source_id=message.id).fragments
        self.live[shadow.fragment_id] = "Zq9" + value

    @rule(rewrap=st.booleans())
    def rotate(self, rewrap: bool) -> None:
        result = self.app.fragments.rotate("local", rewrap=rewrap, actor="sm")
        if rewrap:
            assert result.rewrapped == len(self.live)

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def shred(self, data: st.DataObject) -> None:
        fid = data.draw(st.sampled_from(sorted(self.live)))
        result = self.app.fragments.shred(fid, actor="sm", reason_code="erase")
        assert result.fragment_ids == [fid] and result.status.value == "crypto_shredded"
        del self.live[fid]
        self.shredded.add(fid)

    @precondition(lambda self: bool(self.live or self.shredded))
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        fid = data.draw(st.sampled_from(sorted(self.live) + sorted(self.shredded)))
        result = self.app.fragments.restore(fid, reason="check", principal=local_operator())
        if fid in self.live:
            assert result.restored and result.plaintext == self.live[fid]
        else:
            assert not result.restored and result.status.value == "blocked_key_destroyed"

    @invariant()
    def keys_consistent(self) -> None:
        versions = self.app.fragments.key_status().versions
        if versions:
            active = [v for v in versions if v.state == "active"]
            assert len(active) == 1 and active[0].present
            assert sum(v.fragments for v in versions) == len(self.live)
            assert all(v.present == (v.state != "destroyed") for v in versions)

    def teardown(self) -> None:
        assert self.app.events.verify().ok
        self.app.close()
        shutil.rmtree(self.root, ignore_errors=True)


FragmentLife.TestCase.settings = settings(max_examples=8, stateful_step_count=12, deadline=None)
TestFragmentLife = FragmentLife.TestCase
