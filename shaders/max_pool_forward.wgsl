// Max-pooling forward, k x k windows at stride s, no padding, floor mode (PyTorch's
// MaxPool2d(k, s)): out[r, oy, ox] = max over ky, kx < k of x[r, oy s + ky, ox s + kx], r = n C + c.
// One output per lane; grid folded into 2-D (index = (wid.x + wid.y * nwg.x) * 64 + lane).
struct Params { h: u32, w: u32, ho: u32, wo: u32, k: u32, stride: u32, total: u32, unused: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(64)
fn max_pool_forward(@builtin(local_invocation_index) l: u32,
                    @builtin(workgroup_id) wid: vec3<u32>,
                    @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = (wid.x + wid.y * nwg.x) * 64u + l;
    if (i >= p.total) {
        return;
    }
    let ox = i % p.wo;
    let oy = (i / p.wo) % p.ho;
    let r = i / (p.wo * p.ho);
    let base = (r * p.h + oy * p.stride) * p.w + ox * p.stride;
    var m = x[base];
    for (var ky = 0u; ky < p.k; ky++) {
        for (var kx = 0u; kx < p.k; kx++) {
            m = max(m, x[base + ky * p.w + kx]);
        }
    }
    out[i] = m;
}
