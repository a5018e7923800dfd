// Pixel shuffle (PyTorch semantics): [N, C*r*r, H, W] -> [N, C, H*r, W*r] with
//   out[n, c, y*r + i, x*r + j] = in[n, c*r*r + i*r + j, y, x].
// One lane per (n, c, y, x) of the small grid moves the r*r values of that position (the
// index arithmetic, not the copy, dominated a lane-per-element version on lavapipe). p.c is the
// output's channel count C, p.h / p.w the small (input) spatial size.
struct Params { n: u32, c: u32, h: u32, w: u32, r: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

struct Pos { small: u32, big: u32, hw: u32, wo: u32 }

// Index of (n, c*r*r, y, x) in the small tensor and of (n, c, y*r, x*r) in the big one.
fn pos(gid: vec3<u32>, nwg: vec3<u32>) -> Pos {
    let idx = gid.x + gid.y * nwg.x * 256u;
    let x = idx % p.w;
    let y = (idx / p.w) % p.h;
    let nc = idx / (p.w * p.h);
    let hw = p.h * p.w;
    let wo = p.w * p.r;
    return Pos((nc * p.r * p.r * p.h + y) * p.w + x, (nc * p.h * p.r + y * p.r) * wo + x * p.r, hw, wo);
}

// out is the shuffled [N, C, H*r, W*r]; src is [N, C*r*r, H, W].
@compute @workgroup_size(256)
fn pixel_shuffle_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                         @builtin(num_workgroups) nwg: vec3<u32>) {
    if (gid.x + gid.y * nwg.x * 256u >= p.n * p.c * p.h * p.w) {
        return;
    }
    let q = pos(gid, nwg);
    var s = q.small;
    for (var i = 0u; i < p.r; i++) {
        let row = q.big + i * q.wo;
        for (var j = 0u; j < p.r; j++) {
            out[row + j] = src[s];
            s += q.hw;
        }
    }
}

// out is [N, C*r*r, H, W] (the gradient of the input); src is the gradient of the output.
@compute @workgroup_size(256)
fn pixel_shuffle_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
    if (gid.x + gid.y * nwg.x * 256u >= p.n * p.c * p.h * p.w) {
        return;
    }
    let q = pos(gid, nwg);
    var s = q.small;
    for (var i = 0u; i < p.r; i++) {
        let row = q.big + i * q.wo;
        for (var j = 0u; j < p.r; j++) {
            out[s] = src[row + j];
            s += q.hw;
        }
    }
}
