#!/usr/bin/env python3
"""Reads the machine code lavapipe generates for sralign's compute kernels and prints, per
kernel, an instruction histogram of the whole kernel and of each large loop.

Capture the code with lavapipe's own dump (shader caches off, so every pipeline is compiled):

    MESA_SHADER_CACHE_DISABLE=true GALLIVM_DEBUG=asm SRALIGN_PIPELINE_CACHE=off \
        ./target/release/examples/rff_lab 1 2> asm.txt
    python3 tools/lavapipe_asm.py asm.txt [--min-loop 500] [--top 16]

Kernels are the `cs_co_variant` functions, numbered in the order lavapipe compiled them (the
dump does not name them: run one kernel lab or example at a time to know which is which).
A loop is a backward jump spanning at least --min-loop instructions; its histogram is what one
iteration executes, e.g. vmulps + vaddps for the multiply-adds (lavapipe lowers fma() into
the two), cmpl + jae per element for storage-buffer loads (a bounds-checked loop over lanes),
vmovaps / vmovups to and from the stack for spilled accumulators, callq for texture fetches,
vcvttss2si for float-to-int conversions done lane by lane, divl for integer division.
"""

import argparse
import re
import sys
from collections import Counter

INSN = re.compile(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)")
LABEL = re.compile(r"^(\S.*):$")


def kernels(lines):
    """The instruction lines of each cs_co_variant function, in dump order."""
    out, cur = [], None
    for line in lines:
        m = LABEL.match(line)
        if m:
            cur = [] if m.group(1) == "cs_co_variant" else None
            if cur is not None:
                out.append(cur)
        elif cur is not None:
            m = INSN.match(line)
            if m:
                out[-1].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return out


def loops(insns, min_len):
    """(first, last) instruction indices of backward jumps spanning >= min_len instructions."""
    at = {a: i for i, (a, _, _) in enumerate(insns)}
    found = []
    for i, (_, op, arg) in enumerate(insns):
        if not op.startswith("j") or i + 1 >= len(insns):
            continue
        try:
            off = int(arg.split()[0])
        except (ValueError, IndexError):
            continue
        start = at.get(insns[i + 1][0] + off)
        if off < 0 and start is not None and i - start + 1 >= min_len:
            found.append((start, i))
    # Nested or repeated jumps to the same head: keep the widest span per head.
    widest = {}
    for s, e in found:
        widest[s] = max(widest.get(s, e), e)
    return sorted(widest.items())


def histogram(insns, top):
    c = Counter(op for _, op, _ in insns)
    return f"{sum(c.values())} instructions: " + ", ".join(f"{op} {n}" for op, n in c.most_common(top))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump", help="stderr of a run with GALLIVM_DEBUG=asm")
    ap.add_argument("--min-loop", type=int, default=500, help="smallest loop body to report")
    ap.add_argument("--top", type=int, default=16, help="opcodes per histogram")
    a = ap.parse_args()
    with open(a.dump, errors="replace") as f:
        ks = kernels(f.read().split("\n"))
    if not ks:
        sys.exit("no cs_co_variant functions: was GALLIVM_DEBUG=asm set and the caches off?")
    for k, insns in enumerate(ks):
        print(f"kernel {k}: {histogram(insns, a.top)}")
        for s, e in loops(insns, a.min_loop):
            print(f"  loop {s}..{e}: {histogram(insns[s:e + 1], a.top)}")


if __name__ == "__main__":
    main()
