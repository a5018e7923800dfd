#!/usr/bin/env python3
"""Check that sralign's architectures compute what BasicSR's do, with the same weights.

For each architecture (small configurations so it runs in seconds): build BasicSR's arch with
a fixed seed, save its state dict as a BasicSR checkpoint (.pth), convert it with
tools/convert_weights.py, run `sralign upscale` on a test crop with those weights (float .npy
output), run BasicSR's forward on the same 8-bit input, and print the largest difference.

Usage: python tools/check_basicsr_parity.py [OUT_DIR]
Needs: torch, basicsr, safetensors, numpy, Pillow; a built target/release/sralign.
"""
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "sralign")
CASES = [
    ("srresnet", "MSRResNet", "srresnet_arch", dict(num_in_ch=3, num_out_ch=3, num_feat=16, num_block=2, upscale=4),
     'type = "srresnet"\nnum_feat = 16\nnum_block = 2\nupscale = 4\n'),
    ("srresnet", "MSRResNet", "srresnet_arch", dict(num_in_ch=3, num_out_ch=3, num_feat=16, num_block=2, upscale=3),
     'type = "srresnet"\nnum_feat = 16\nnum_block = 2\nupscale = 3\n'),
    ("rrdbnet", "RRDBNet", "rrdbnet_arch", dict(num_in_ch=3, num_out_ch=3, num_feat=16, num_block=2, num_grow_ch=8, scale=4),
     'type = "rrdbnet"\nnum_feat = 16\nnum_block = 2\nnum_grow_ch = 8\nupscale = 4\n'),
    ("rrdbnet", "RRDBNet", "rrdbnet_arch", dict(num_in_ch=3, num_out_ch=3, num_feat=16, num_block=1, num_grow_ch=8, scale=2),
     'type = "rrdbnet"\nnum_feat = 16\nnum_block = 1\nnum_grow_ch = 8\nupscale = 2\n'),
    ("swinir", "SwinIR", "swinir_arch",
     dict(upscale=4, in_chans=3, img_size=16, window_size=4, img_range=1.0, depths=[2, 2], embed_dim=12,
          num_heads=[2, 3], mlp_ratio=2, upsampler="pixelshuffle", resi_connection="1conv"),
     'type = "swinir"\nembed_dim = 12\ndepths = [2, 2]\nnum_heads = [2, 3]\nwindow_size = 4\nupsampler = "pixelshuffle"\n'),
    ("swinir", "SwinIR", "swinir_arch",
     dict(upscale=4, in_chans=3, img_size=16, window_size=4, img_range=1.0, depths=[2], embed_dim=12,
          num_heads=[2], mlp_ratio=2, upsampler="nearest+conv", resi_connection="1conv"),
     'type = "swinir"\nembed_dim = 12\ndepths = [2]\nnum_heads = [2]\nwindow_size = 4\nupsampler = "nearest+conv"\n'),
    ("swinir", "SwinIR", "swinir_arch",
     dict(upscale=3, in_chans=3, img_size=16, window_size=4, img_range=1.0, depths=[2], embed_dim=12,
          num_heads=[2], mlp_ratio=2, upsampler="pixelshuffledirect", resi_connection="1conv"),
     'type = "swinir"\nembed_dim = 12\ndepths = [2]\nnum_heads = [2]\nwindow_size = 4\nupscale = 3\nupsampler = "pixelshuffledirect"\n'),
]


def main(out):
    os.makedirs(out, exist_ok=True)
    src = Image.open(os.path.join(ROOT, "..", "shared", "data", "test", "skimage_chelsea.png")).convert("RGB")
    # 20x16: a multiple of the SwinIR window (BasicSR's SwinIR does not pad; sralign's does)
    lr = src.crop((200, 100, 220, 116))
    lr_path = os.path.join(out, "lr.png")
    lr.save(lr_path)
    x = torch.from_numpy(np.asarray(lr, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
    worst_all = 0.0
    for i, (arch, cls, mod, kwargs, toml) in enumerate(CASES):
        torch.manual_seed(i)
        net = getattr(__import__(f"basicsr.archs.{mod}", fromlist=[cls]), cls)(**kwargs).eval()
        # Perturb every parameter so that zero-initialised biases and LayerNorm affine terms matter.
        with torch.no_grad():
            for p in net.parameters():
                p.add_(0.02 * torch.randn_like(p))
            want = net(x)[0].permute(1, 2, 0).numpy()
        pth = os.path.join(out, f"case{i}.pth")
        torch.save({"params": net.state_dict()}, pth)
        st = os.path.join(out, f"case{i}.safetensors")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "convert_weights.py"), "pth2st", pth, st],
                       check=True, stdout=subprocess.DEVNULL)
        cfg = os.path.join(out, f"case{i}.toml")
        with open(cfg, "w") as f:
            f.write("[network_g]\n" + toml)
        npy = os.path.join(out, f"case{i}.npy")
        subprocess.run([BIN, "upscale", "--arch", arch, "--config", cfg, "--weights", st, "--input", lr_path,
                        "--output", npy], check=True, stdout=subprocess.DEVNULL)
        got = np.load(npy)
        assert got.shape == want.shape, (got.shape, want.shape)
        worst = float(np.abs(got - want).max())
        worst_all = max(worst_all, worst)
        desc = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k in ("upscale", "scale", "upsampler", "num_feat", "embed_dim"))
        print(f"{cls:10s} {desc:50s} output {got.shape}  max |sralign - BasicSR| = {worst:.2e}")
    print(f"worst difference over {len(CASES)} cases: {worst_all:.2e}")
    return 0 if worst_all < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "out/parity"))
