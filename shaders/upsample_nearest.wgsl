// Nearest-neighbour x2: out[n, c, y, x] = in[n, c, y / 2, x / 2]; the backward sums each 2x2
// block of the output gradient (a gather: one lane per input element, no atomics).
// p.nc = N * C, p.h / p.w = the small (input) spatial size.
struct Params { nc: u32, h: u32, w: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(256)
fn nearest2x_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * 256u;
    let wo = p.w * 2u;
    if (idx >= p.nc * p.h * 2u * wo) {
        return;
    }
    let x = idx % wo;
    let y = (idx / wo) % (p.h * 2u);
    let nc = idx / (wo * p.h * 2u);
    out[idx] = src[(nc * p.h + y / 2u) * p.w + x / 2u];
}

@compute @workgroup_size(256)
fn nearest2x_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = gid.x + gid.y * nwg.x * 256u;
    if (idx >= p.nc * p.h * p.w) {
        return;
    }
    let x = idx % p.w;
    let y = (idx / p.w) % p.h;
    let nc = idx / (p.w * p.h);
    let wo = p.w * 2u;
    let b = (nc * p.h * 2u + y * 2u) * wo + x * 2u;
    out[idx] = (src[b] + src[b + 1u]) + (src[b + wo] + src[b + wo + 1u]);
}
