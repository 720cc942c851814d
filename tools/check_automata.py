#!/usr/bin/env python3
"""Independent numpy re-implementation of the automata semantics (science.md §1,
written in the style of the authors' synthseq/automata/automata.py), used to
check the Rust generator's .npy output.

Usage:
    cargo run --example dump_npy -- /tmp/automata_npy
    python3 check_against_reference.py /tmp/automata_npy
Exits non-zero on any mismatch.
"""
import io
import itertools
import json
import sys
from pathlib import Path

import numpy as np


def perm_labels(n, actions, even_only, x):
    """Authors' style: state vector, one-hot action matrices, dict lookup."""
    perms = list(itertools.permutations(range(n)))
    if even_only:
        def is_even(p):
            inv = sum(1 for i in range(n) for j in range(i + 1, n) if p[i] > p[j])
            return inv % 2 == 0
        perms = [p for p in perms if is_even(p)]
    label_of = {p: i for i, p in enumerate(perms)}
    mats = {a: np.eye(n)[list(idx)] for a, idx in actions.items()}
    s = np.arange(n)
    out = []
    for a in x:
        s = mats[int(a)].dot(s).astype(int)
        out.append(label_of[tuple(s)])
    return np.array(out, dtype=np.int64)


def symmetric_actions(n, n_actions):
    acts = {0: list(range(n)), 1: list(range(1, n)) + [0], 2: [1, 0] + list(range(2, n))}
    if n_actions > 3:
        cnt = 2
        for p in list(itertools.permutations(range(n)))[1:]:
            if list(p) == acts[1]:
                continue
            acts[cnt] = list(p)
            cnt += 1
            if cnt == n_actions:
                break
    return {a: acts[a] for a in range(n_actions)}


def alternating_actions(n):
    acts = {0: list(range(n))}
    for x in range(2, n):
        idx = list(range(n))
        idx[0], idx[1], idx[x] = idx[1], idx[x], idx[0]
        acts[x - 1] = idx
    return acts


Q_POS = [0, 1, 2, 3, 1, 4, 3, 6, 2, 7, 4, 1, 3, 2, 5, 4]
Q_TABLE = np.array(Q_POS + [(v + 4) % 8 for v in Q_POS]).reshape(8, 4)


def dyck_labels(k, m, x):
    """Explicit stack; ids from an itertools enumeration (depth, then lex, bottom first)."""
    ids = {}
    for d in range(m + 1):
        for st in itertools.product(range(k), repeat=d):
            ids[st] = len(ids)
    stack, out = [], []
    for a in x:
        a = int(a)
        if a < k:
            assert len(stack) < m, "open beyond max depth"
            stack.append(a)
        else:
            assert stack and stack[-1] == a - k, "invalid close"
            stack.pop()
        out.append(ids[tuple(stack)])
    return np.array(out, dtype=np.int64), len(ids)


def reference_labels(task, p, x):
    x = np.asarray(x, dtype=np.int64)
    if task == "parity":
        return np.cumsum(x) % 2
    if task == "cyclic":
        return np.cumsum(x) % p.get("n", 3)
    if task == "dihedral":
        n = p.get("n", 4)
        toggle = np.cumsum(x == 0) % 2
        pos = np.cumsum((x != 0) * (-1) ** toggle) % n
        return n * toggle + pos
    if task == "quaternion":
        s, out = 0, []
        for a in x:
            s = Q_TABLE[s, a]
            out.append(s)
        return np.array(out)
    if task == "alternating":
        n = p.get("n", 5)
        return perm_labels(n, alternating_actions(n), True, x)
    if task == "symmetric":
        n, na = p.get("n", 5), p.get("n_actions", 3)
        return perm_labels(n, symmetric_actions(n, na), False, x)
    if task == "flipflop":
        n = p.get("n", 2)
        trans = np.array([list(range(n + 1))] + [[i + 1] * (n + 1) for i in range(n)]).T
        s, out = 0, []
        for a in x:
            s = trans[s, a]
            out.append(s)
        return np.array(out)
    if task == "gridworld":
        S = p.get("n", 9) - 1
        steps = np.where(x == 0, -1, 1)
        return np.array(list(itertools.accumulate(steps, lambda a, b: max(min(a + b, S), 0), initial=0))[1:])
    if task == "dyck":
        return dyck_labels(p.get("k", 2), p.get("max_depth", 4), x)[0]
    if task == "product_c2":
        k = p.get("k", 3)
        bits = (x[:, None] >> np.arange(k)) & 1
        par = np.cumsum(bits, axis=0) % 2
        return (par << np.arange(k)).sum(axis=1)
    raise ValueError(task)


def expected_n_states(task, p):
    from math import factorial
    return {
        "parity": lambda: 2, "cyclic": lambda: p.get("n", 3), "dihedral": lambda: 2 * p.get("n", 4),
        "quaternion": lambda: 8, "alternating": lambda: factorial(p.get("n", 5)) // 2,
        "symmetric": lambda: factorial(p.get("n", 5)), "flipflop": lambda: p.get("n", 2) + 1,
        "gridworld": lambda: p.get("n", 9), "dyck": lambda: dyck_labels(p.get("k", 2), p.get("max_depth", 4), [])[1],
        "product_c2": lambda: 2 ** p.get("k", 3),
    }[task]()


def check_bytes_match_numpy(path, arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    assert path.read_bytes() == buf.getvalue(), f"{path.name}: bytes differ from np.save"


def main(out_dir):
    out = Path(out_dir)
    manifest = json.loads((out / "manifest.json").read_text())
    failures = 0
    for case in manifest:
        stem, task, p = case["stem"], case["task"], case["params"]
        arrs = {k: np.load(out / f"{stem}_{k}.npy") for k in ("inputs", "labels", "mask", "lengths")}
        x, y, m, L = arrs["inputs"], arrs["labels"], arrs["mask"], arrs["lengths"]
        assert x.dtype == np.uint32 and y.dtype == np.uint32 and m.dtype == np.uint8 and L.dtype == np.uint32
        for k, a in arrs.items():
            check_bytes_match_numpy(out / f"{stem}_{k}.npy", a)
        n, T = x.shape
        errs = []
        if case["n_states"] != expected_n_states(task, p):
            errs.append(f"n_states {case['n_states']} != {expected_n_states(task, p)}")
        bad_rows = 0
        for r in range(n):
            l = int(L[r])
            if not (1 <= l <= T) or (not case["random_length"] and l != T):
                errs.append(f"row {r}: bad length {l}")
                break
            if x[r, l:].any() or y[r, l:].any() or m[r, l:].any():
                errs.append(f"row {r}: padding not zeroed")
            if (x[r, :l] >= case["n_actions"]).any():
                errs.append(f"row {r}: token out of range")
            ref = reference_labels(task, p, x[r, :l])
            if not np.array_equal(ref, y[r, :l].astype(np.int64)):
                bad_rows += 1
                if bad_rows == 1:
                    t0 = int(np.argmax(ref != y[r, :l]))
                    errs.append(f"row {r} pos {t0}: label {y[r, t0]} != reference {ref[t0]}")
        valid = np.arange(T)[None, :] < L[:, None]
        rate = m[valid].mean()
        if abs(rate - case["p_reveal"]) > 0.02:
            errs.append(f"reveal rate {rate:.3f} vs p_reveal {case['p_reveal']}")
        if task in ("parity", "gridworld"):
            f1 = x[valid].mean()
            if abs(f1 - case["p1"]) > 0.02:
                errs.append(f"Pr[x=1] {f1:.3f} vs p1 {case['p1']}")
        status = "OK " if not errs else "FAIL"
        failures += bool(errs)
        print(f"{status} {stem:18s} {json.dumps(p):32s} n={n} T={T} states={case['n_states']} "
              f"actions={case['n_actions']} reveal={rate:.3f}" + ("".join(f"\n     {e}" for e in errs)))
    print(f"{len(manifest) - failures}/{len(manifest)} datasets match the reference")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/automata_npy"))
