// Bilinear x4, align_corners = false (F.interpolate(scale_factor=4, mode='bilinear')):
// the source coordinate of output o is max((o + 0.5) / 4 - 0.5, 0); i0 = floor, i1 =
// min(i0 + 1, size - 1), weights (1 - l, l). The backward is a gather: input i receives from
// outputs 4i-2 .. 4i+5 only (8 per axis), each with the weight it had in the forward.
// Grid: x = columns / 64, y (+ z folded) = blocks of 4 destination rows over N * C * height.
// p.nc = N * C, p.h / p.w = the small (input) spatial size.
struct Params { nc: u32, h: u32, w: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

struct Tap { i0: u32, i1: u32, l: f32 }

fn tap(o: u32, size: u32) -> Tap {
    let s = max((f32(o) + 0.5) * 0.25 - 0.5, 0.0);
    let i0 = min(u32(floor(s)), size - 1u);
    return Tap(i0, min(i0 + 1u, size - 1u), s - f32(i0));
}

// The weight of input i in output o's interpolation along one axis.
fn weight(o: u32, i: u32, size: u32) -> f32 {
    let t = tap(o, size);
    var w = 0.0;
    if (t.i0 == i) { w += 1.0 - t.l; }
    if (t.i1 == i) { w += t.l; }
    return w;
}

@compute @workgroup_size(64, 4)
fn bilinear4x_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y;
    let wo = p.w * 4u;
    let ho = p.h * 4u;
    if (row >= p.nc * ho || gid.x >= wo) {
        return;
    }
    let tx = tap(gid.x, p.w);
    let ty = tap(row % ho, p.h);
    let base = row / ho * p.h * p.w;
    let r0 = base + ty.i0 * p.w;
    let r1 = base + ty.i1 * p.w;
    let top = (1.0 - tx.l) * src[r0 + tx.i0] + tx.l * src[r0 + tx.i1];
    let bot = (1.0 - tx.l) * src[r1 + tx.i0] + tx.l * src[r1 + tx.i1];
    out[row * wo + gid.x] = (1.0 - ty.l) * top + ty.l * bot;
}

@compute @workgroup_size(64, 4)
fn bilinear4x_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                       @builtin(workgroup_id) wid: vec3<u32>,
                       @builtin(local_invocation_id) lid: vec3<u32>,
                       @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y;
    let x = gid.x;
    if (row >= p.nc * p.h || x >= p.w) {
        return;
    }
    let y = row % p.h;
    let nc = row / p.h;
    let wo = p.w * 4u;
    let ho = p.h * 4u;
    let oy0 = max(i32(y * 4u) - 2, 0);
    let oy1 = min(y * 4u + 6u, ho);
    let ox0 = max(i32(x * 4u) - 2, 0);
    let ox1 = min(x * 4u + 6u, wo);
    var s = 0.0;
    for (var oy = u32(oy0); oy < oy1; oy++) {
        let wy = weight(oy, y, p.h);
        if (wy == 0.0) {
            continue;
        }
        var acc = 0.0;
        let rb = (nc * ho + oy) * wo;
        for (var ox = u32(ox0); ox < ox1; ox++) {
            acc += weight(ox, x, p.w) * src[rb + ox];
        }
        s += wy * acc;
    }
    out[row * p.w + x] = s;
}
