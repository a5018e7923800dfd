// Max-pooling input gradient as a gather (deterministic, no atomics): dx[r, iy, ix] is the sum of
// dout over the windows whose first maximum in row-major order (as PyTorch picks it) is (iy, ix).
// One dx element per lane; each lane re-finds the argmax of the (at most ceil(k/s)^2) windows
// that contain its pixel.
struct Params { h: u32, w: u32, ho: u32, wo: u32, k: u32, stride: u32, total: u32, unused: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

@compute @workgroup_size(64)
fn max_pool_backward(@builtin(local_invocation_index) l: u32,
                     @builtin(workgroup_id) wid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let ix = i % p.w;
    let iy = (i / p.w) % p.h;
    let r = i / (p.w * p.h);
    // Windows oy with oy s <= iy < oy s + k, inside the output.
    let oy0 = select(0u, (iy + 1u - p.k + p.stride - 1u) / p.stride, iy + 1u > p.k);
    let oy1 = min(iy / p.stride + 1u, p.ho);
    let ox0 = select(0u, (ix + 1u - p.k + p.stride - 1u) / p.stride, ix + 1u > p.k);
    let ox1 = min(ix / p.stride + 1u, p.wo);
    var s = 0.0;
    for (var oy = oy0; oy < oy1; oy++) {
        for (var ox = ox0; ox < ox1; ox++) {
            let base = (r * p.h + oy * p.stride) * p.w + ox * p.stride;
            var m = x[base];
            var am = base;
            for (var ky = 0u; ky < p.k; ky++) {
                for (var kx = 0u; kx < p.k; kx++) {
                    let j = base + ky * p.w + kx;
                    let v = x[j];
                    if (v > m) {
                        m = v;
                        am = j;
                    }
                }
            }
            if (am == i) {
                s += dout[(r * p.ho + oy) * p.wo + ox];
            }
        }
    }
    dx[i] = s;
}
