"""Reference files for tests/data_jpeg.rs at sizes the shared fixtures lack.

The shared fixtures (../shared/fixtures/jpeg) are 96x96 RGB, a multiple of the 16x16 MCU, so
they never exercise edge replication, odd chroma sizes or the dummy blocks libjpeg appends to
the last MCUs (those change the bytes, not the pixels), nor gray images. This script writes,
for small sizes that do, the input (uint8 .npy), Pillow's JPEG of it at quality 10, 50 and 90
(.jpg, default settings) and Pillow's decode of that (.npy) to tests/fixtures/jpeg/.

    python -m venv /tmp/pil && /tmp/pil/bin/pip install pillow==13.0.0 numpy
    /tmp/pil/bin/python tools/make_jpeg_fixtures.py

Made with Pillow 13.0.0 (its wheel's libjpeg-turbo 3.2.0). cv2.imencode / cv2.imdecode
(opencv-python-headless 5.0.0, BGR order, default settings) gave the same bytes and pixels for
every file here and for the shared fixtures (also at quality 30 and 95), so the codec is
OpenCV's too, as BasicSR's add_jpg_compression uses it.
"""
import io
import os

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "jpeg")
SIZES = [(1, 1, 3), (7, 13, 3), (17, 9, 3), (24, 24, 3), (33, 50, 3), (5, 11, 1), (40, 23, 1)]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(8)
    for h, w, c in SIZES:
        # Smooth gradients plus noise: every coefficient band and the edges get used.
        y, x = np.mgrid[0:h, 0:w]
        base = 128 + 60 * np.sin(x / 3.0 + y / 5.0)
        img = np.stack([base + 25 * k * np.cos((x - y) / 4.0) for k in range(c)], axis=-1)
        img = np.clip(img + rng.normal(0, 18, img.shape), 0, 255).astype(np.uint8)
        name = f"{h}x{w}x{c}"
        np.save(os.path.join(OUT, name + ".npy"), img)
        pil = Image.fromarray(img[:, :, 0] if c == 1 else img, "L" if c == 1 else "RGB")
        for q in (10, 50, 90):
            buf = io.BytesIO()
            pil.save(buf, "JPEG", quality=q)
            data = buf.getvalue()
            with open(os.path.join(OUT, f"{name}_q{q}.jpg"), "wb") as f:
                f.write(data)
            dec = np.asarray(Image.open(io.BytesIO(data)))
            if c == 1:
                dec = dec[:, :, None]
            np.save(os.path.join(OUT, f"{name}_q{q}_decoded.npy"), dec)


if __name__ == "__main__":
    main()
