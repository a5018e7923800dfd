#!/usr/bin/env python3
"""Convert BasicSR checkpoints (.pth) to sralign's safetensors and back.

sralign's files hold the `params` state dict under the plain names and, optionally, the EMA
copy (`params_ema` in BasicSR) under names prefixed with `params_ema/`. Names and layouts are
BasicSR's (conv OIHW, linear [out, in]), so nothing is transposed. Buffers that BasicSR's
SwinIR saves (relative_position_index, attn_mask) are dropped on the way in; BasicSR rebuilds
them, so load the .pth written here with strict=False for SwinIR or let BasicSR recreate them.

Usage:
  python tools/convert_weights.py pth2st  net_g.pth    net_g.safetensors
  python tools/convert_weights.py st2pth  net_g.safetensors net_g.pth
Needs: torch, safetensors (pip install torch safetensors).
"""
import sys

import torch
from safetensors.torch import load_file, save_file

EMA = "params_ema/"
BUFFERS = ("relative_position_index", "attn_mask")


def pth2st(src, dst):
    ckpt = torch.load(src, map_location="cpu", weights_only=True)
    dicts = {k: ckpt[k] for k in ("params", "params_ema") if isinstance(ckpt, dict) and k in ckpt}
    if not dicts:  # a bare state dict
        dicts = {"params": ckpt}
    out = {}
    for key, sd in dicts.items():
        prefix = EMA if key == "params_ema" else ""
        for name, t in sd.items():
            if name.endswith(BUFFERS):
                continue
            out[prefix + name] = t.detach().float().contiguous()
    save_file(out, dst, metadata={"format": "pt"})
    print(f"{src}: {', '.join(dicts)} -> {dst} ({len(out)} tensors)")


def st2pth(src, dst):
    tensors = load_file(src)
    params = {k: v for k, v in tensors.items() if not k.startswith(EMA)}
    ema = {k[len(EMA):]: v for k, v in tensors.items() if k.startswith(EMA)}
    ckpt = {"params": params}
    if ema:
        ckpt["params_ema"] = ema
    torch.save(ckpt, dst)
    print(f"{src} -> {dst} ({', '.join(ckpt)})")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("pth2st", "st2pth"):
        print(__doc__)
        sys.exit(2)
    {"pth2st": pth2st, "st2pth": st2pth}[sys.argv[1]](sys.argv[2], sys.argv[3])
