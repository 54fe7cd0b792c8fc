"""Restricted fragments: encrypt + store and restore of a 1 KB fragment, and what ``encrypted`` retention adds
to a chat append.

* encrypt + store: ``FragmentService.prepare`` (fresh data key, AES-256-GCM) and ``persist`` (wrap under the
  tenant key version, three inserts, three audit events) of one 1 KB value per write transaction; p50/p99
  and fragments/s over the whole run;
* restore: ``FragmentService.restore`` by the operator (preconditions, audit event, unwrap, decrypt); p50/p99;
* crypto only: seal + wrap + unwrap + open of 1 KB without the database (where the time is not);
* chat append: the same message (one password, one token) appended to a workspace with retention disabled
  (redacted only) and to one with ``encrypted`` retention, interleaved, p50/p99 of each and the overhead.

Run: ``python bench/bench_fragments.py [--n 300]``. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from orchestra.app import Orchestra
from orchestra.fragments import FragmentSource, local_operator
from orchestra.fragments.envelope import open_envelope, seal
from orchestra.security.model import Category
from orchestra.security.retained import RetainedRegion

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, summary_ms

SCOPE = {"task_id": "T-1", "run_id": "run-1", "phase": "build", "session_id": "s1"}
ACTOR = {"kind": "parent_agent", "actor_id": "parent", "runtime": "claude-cli", "session_id": "s1"}
POLICY = {"restrictedFragments": {"policies": [{
    "id": "bench", "categories": ["credential", "password", "api_key", "token", "private_key", "payment_data",
                                  "regulated_pii", "sensitive_pii"],
    "sinks": ["transcript", "evidence", "export"], "mode": "encrypted", "retentionDays": 30, "allowRestore": True}]}}
TEXT = ("Deploy failed: the config had password={pw} and the CI used token ghp_{tok}; "
        "see `make deploy` output in the run log, n={n}")


def workspace(config: dict[str, object] | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench-fragments-"))
    (root / ".git").mkdir()
    if config is not None:
        (root / ".agent-workflow").mkdir()
        (root / ".agent-workflow" / "config.json").write_text(json.dumps(config))
    return root


def bench_store_restore(n: int) -> dict[str, object]:
    root = workspace(POLICY)
    try:
        with Orchestra.open(root) as app:
            source = FragmentSource(kind="bench", source_id="bench-1", tenant_id="local", workspace_id="local")
            store_s: list[float] = []
            ids: list[str] = []
            begin = time.perf_counter()
            for _ in range(n):
                value = secrets.token_urlsafe(768)[:1024]
                region = RetainedRegion(index=0, start=0, end=1024, rule_id="private_key.pem",
                                        category=Category.PRIVATE_KEY, marker="[REDACTED_PRIVATE_KEY]", value=value)
                t0 = time.perf_counter()
                prepared = app.fragments.prepare(source, "content", "transcript", [region])
                with app.store.write() as tx:
                    ids += app.fragments.persist(tx, prepared, actor="bench")
                store_s.append(time.perf_counter() - t0)
            total = time.perf_counter() - begin
            restore_s: list[float] = []
            operator = local_operator()
            for fid in ids:
                t0 = time.perf_counter()
                result = app.fragments.restore(fid, reason="bench", principal=operator)
                restore_s.append(time.perf_counter() - t0)
                assert result.restored and result.plaintext is not None and len(result.plaintext) == 1024
            crypto_s: list[float] = []
            keys = app.fragments.keys
            for _ in range(n):  # the cryptography alone: seal + wrap + unwrap + open, no database
                value = secrets.token_urlsafe(768)[:1024]
                t0 = time.perf_counter()
                sealed = seal(value, b"aad")
                wrapped = keys.wrap("local", 1, sealed.data_key, b"ctx")
                assert open_envelope(keys.unwrap("local", 1, wrapped, b"ctx"), sealed.nonce, sealed.ciphertext,
                                     b"aad") == value
                crypto_s.append(time.perf_counter() - t0)
        return {"encrypt_store": summary_ms(store_s), "fragments_per_s": round(n / total, 1),
                "restore": summary_ms(restore_s), "crypto_only_round_trip": summary_ms(crypto_s)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_append_overhead(n: int) -> dict[str, object]:
    roots = {"redacted_only": workspace(None), "encrypted": workspace(POLICY)}
    try:
        apps = {name: Orchestra.open(root) for name, root in roots.items()}
        threads = {name: app.chat.create_thread(SCOPE, "bench", ACTOR).id for name, app in apps.items()}
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for i in range(n + 20):
            text = TEXT.format(pw=secrets.token_urlsafe(12), tok=secrets.token_urlsafe(27)[:36], n=i)
            for name, app in apps.items():
                t0 = time.perf_counter()
                app.chat.append_message(SCOPE, threads[name], text, ACTOR, f"k-{i}")
                if i >= 20:  # warm-up
                    samples[name].append(time.perf_counter() - t0)
        kept = apps["encrypted"].fragments.list_fragments(limit=1).count
        for app in apps.values():
            app.close()
        assert kept == 1
        plain, enc = summary_ms(samples["redacted_only"]), summary_ms(samples["encrypted"])
        return {"append_redacted_only": plain, "append_encrypted": enc,
                "append_overhead_p50_ms": round(enc["p50_ms"] - plain["p50_ms"], 2),
                "append_overhead_p50_pct": round(100 * (enc["p50_ms"] - plain["p50_ms"]) / plain["p50_ms"], 1)}
    finally:
        for root in roots.values():
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="fragments / appends per measurement")
    args = parser.parse_args()
    figures = bench_store_restore(args.n)
    print(f"encrypt+store 1 KB: p50 {figures['encrypt_store']['p50_ms']} ms, "  # type: ignore[index]
          f"p99 {figures['encrypt_store']['p99_ms']} ms, {figures['fragments_per_s']} fragments/s")  # type: ignore[index]
    print(f"restore 1 KB: p50 {figures['restore']['p50_ms']} ms, p99 {figures['restore']['p99_ms']} ms")  # type: ignore[index]
    print(f"crypto only (seal+wrap+unwrap+open): p50 {figures['crypto_only_round_trip']['p50_ms']} ms")  # type: ignore[index]
    append = bench_append_overhead(args.n)
    print(f"chat append, redacted only: p50 {append['append_redacted_only']['p50_ms']} ms; "  # type: ignore[index]
          f"with encrypted retention: p50 {append['append_encrypted']['p50_ms']} ms "  # type: ignore[index]
          f"(+{append['append_overhead_p50_ms']} ms, {append['append_overhead_p50_pct']}%)")
    emit("fragments", {**figures, **append, "n": args.n})


if __name__ == "__main__":
    main()
