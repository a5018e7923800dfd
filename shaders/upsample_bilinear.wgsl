// Bilinear upsampling by an integer factor f, align_corners = false (F.interpolate(
// scale_factor=f, mode='bilinear')): the source coordinate of output o is
// max((o + 0.5) / f - 0.5, 0); i0 = floor, i1 = min(i0 + 1, size - 1), weights (1 - l, l).
// The backward is a gather: input i receives only from outputs f*i - f .. f*i + 2f (its
// source coordinates lie within one pixel of i), each with the weight it had in the forward.
// Grid: x = columns / 64, y (+ z folded) = blocks of 4 destination rows over N * C * height.
// p.nc = N * C, p.h / p.w = the small (input) spatial size.
// Split launches (tensors larger than one storage binding): destination rows u0..u1 only, out
// and src bound from elements bo / bs.
struct Params { nc: u32, h: u32, w: u32, f: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

struct Tap { i0: u32, i1: u32, l: f32 }

fn tap(o: u32, size: u32) -> Tap {
    let s = max((f32(o) + 0.5) * (1.0 / f32(p.f)) - 0.5, 0.0);
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
fn bilinear_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    let wo = p.w * p.f;
    let ho = p.h * p.f;
    if (row >= p.u1 || gid.x >= wo) {
        return;
    }
    let tx = tap(gid.x, p.w);
    let ty = tap(row % ho, p.h);
    let base = row / ho * p.h * p.w - p.bs;
    let r0 = base + ty.i0 * p.w;
    let r1 = base + ty.i1 * p.w;
    let top = (1.0 - tx.l) * src[r0 + tx.i0] + tx.l * src[r0 + tx.i1];
    let bot = (1.0 - tx.l) * src[r1 + tx.i0] + tx.l * src[r1 + tx.i1];
    out[row * wo + gid.x - p.bo] = (1.0 - ty.l) * top + ty.l * bot;
}

@compute @workgroup_size(64, 4)
fn bilinear_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                       @builtin(workgroup_id) wid: vec3<u32>,
                       @builtin(local_invocation_id) lid: vec3<u32>,
                       @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y + p.u0;
    let x = gid.x;
    if (row >= p.u1 || x >= p.w) {
        return;
    }
    let y = row % p.h;
    let nc = row / p.h;
    let wo = p.w * p.f;
    let ho = p.h * p.f;
    let oy0 = max(i32(y * p.f) - i32(p.f), 0);
    let oy1 = min(y * p.f + 2u * p.f, ho);
    let ox0 = max(i32(x * p.f) - i32(p.f), 0);
    let ox1 = min(x * p.f + 2u * p.f, wo);
    var s = 0.0;
    for (var oy = u32(oy0); oy < oy1; oy++) {
        let wy = weight(oy, y, p.h);
        if (wy == 0.0) {
            continue;
        }
        var acc = 0.0;
        let rb = (nc * ho + oy) * wo - p.bs;
        for (var ox = u32(ox0); ox < ox1; ox++) {
            acc += weight(ox, x, p.w) * src[rb + ox];
        }
        s += wy * acc;
    }
    out[row * p.w + x - p.bo] = s;
}
