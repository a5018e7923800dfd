// Pixel shuffle (PyTorch semantics): [N, C*r*r, H, W] -> [N, C, H*r, W*r] with
//   out[n, c, y*r + i, x*r + j] = in[n, c*r*r + i*r + j, y, x].
// Both directions are gathers (one lane per destination element); p.c is the output's
// channel count C, p.h / p.w the small (input) spatial size.
struct Params { n: u32, c: u32, h: u32, w: u32, r: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn lin(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

// out is the shuffled [N, C, H*r, W*r]; src is [N, C*r*r, H, W].
@compute @workgroup_size(256)
fn pixel_shuffle_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = lin(gid, nwg);
    let wo = p.w * p.r;
    let ho = p.h * p.r;
    if (idx >= p.n * p.c * ho * wo) {
        return;
    }
    let xo = idx % wo;
    let yo = (idx / wo) % ho;
    let nc = idx / (wo * ho);
    let ci = (nc % p.c) * p.r * p.r + (yo % p.r) * p.r + (xo % p.r);
    let ni = nc / p.c;
    out[idx] = src[((ni * p.c * p.r * p.r + ci) * p.h + yo / p.r) * p.w + xo / p.r];
}

// out is [N, C*r*r, H, W] (the gradient of the input); src is the gradient of the output.
@compute @workgroup_size(256)
fn pixel_shuffle_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = lin(gid, nwg);
    let rr = p.r * p.r;
    if (idx >= p.n * p.c * rr * p.h * p.w) {
        return;
    }
    let x = idx % p.w;
    let y = (idx / p.w) % p.h;
    let ci = (idx / (p.w * p.h)) % (p.c * rr);
    let ni = idx / (p.w * p.h * p.c * rr);
    let c = ci / rr;
    let i = (ci % rr) / p.r;
    let j = ci % p.r;
    let wo = p.w * p.r;
    let ho = p.h * p.r;
    out[idx] = src[((ni * p.c + c) * ho + y * p.r + i) * wo + x * p.r + j];
}
