// pixel_shuffle.wgsl for r = 2 and widths that are multiples of 4, with vec4 loads and stores:
// one lane moves 4 consecutive positions (n, c, y, 4 q .. 4 q + 3) of the small grid, i.e.
// one vec4 from each of the 4 planes c * 4 + 2 i + j, as 2 vec4 per output row 2 y + i
// (columns 8 q .. 8 q + 7, interleaving j). On lavapipe each storage access is a per-lane loop,
// so this moves 16 values in 8 accesses where the scalar kernel makes 32.
// Same parameters as pixel_shuffle.wgsl (w: the small width, a multiple of 4; bo / bs: the
// bindings' first elements, multiples of 4). Grid: x = quads / 8, y (+ z folded) = blocks of
// 32 rows (n, c, y) of the small grid.
struct Params { n: u32, c: u32, h: u32, w: u32, r: u32, u0: u32, u1: u32, bo: u32, bs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;

struct Pos { small: u32, big: u32, hw: u32, wo: u32 }

// vec4 indices of (n, 4 c, y, 4 q) in the small tensor and of (n, c, 2 y, 8 q) in the big one,
// and the vec4 strides of a small plane and of a big row.
fn pos(row: u32, q: u32) -> Pos {
    let w4 = p.w / 4u;
    let small = ((row / p.h) * 4u * p.h + row % p.h) * w4 + q;
    return Pos(small, row * 4u * w4 + 2u * q, p.h * w4, 2u * w4);
}

fn row_of(wid: vec3<u32>, lid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return (wid.y + wid.z * nwg.y) * 32u + lid.y + p.u0;
}

@compute @workgroup_size(8, 32)
fn pixel_shuffle2_forward(@builtin(global_invocation_id) gid: vec3<u32>,
                          @builtin(workgroup_id) wid: vec3<u32>,
                          @builtin(local_invocation_id) lid: vec3<u32>,
                          @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, lid, nwg);
    if (row >= p.u1 || gid.x >= p.w / 4u) {
        return;
    }
    let q = pos(row, gid.x);
    let s = q.small - p.bs / 4u;
    let a0 = src[s];
    let a1 = src[s + q.hw];
    let a2 = src[s + 2u * q.hw];
    let a3 = src[s + 3u * q.hw];
    let o = q.big - p.bo / 4u;
    out[o] = vec4<f32>(a0.x, a1.x, a0.y, a1.y);
    out[o + 1u] = vec4<f32>(a0.z, a1.z, a0.w, a1.w);
    out[o + q.wo] = vec4<f32>(a2.x, a3.x, a2.y, a3.y);
    out[o + q.wo + 1u] = vec4<f32>(a2.z, a3.z, a2.w, a3.w);
}

// out is [N, 4 C, H, W] (the gradient of the input); src is the gradient of the output.
@compute @workgroup_size(8, 32)
fn pixel_shuffle2_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                           @builtin(workgroup_id) wid: vec3<u32>,
                           @builtin(local_invocation_id) lid: vec3<u32>,
                           @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = row_of(wid, lid, nwg);
    if (row >= p.u1 || gid.x >= p.w / 4u) {
        return;
    }
    let q = pos(row, gid.x);
    let i = q.big - p.bs / 4u;
    let b0 = src[i];
    let b1 = src[i + 1u];
    let b2 = src[i + q.wo];
    let b3 = src[i + q.wo + 1u];
    let o = q.small - p.bo / 4u;
    out[o] = vec4<f32>(b0.x, b0.z, b1.x, b1.z);
    out[o + q.hw] = vec4<f32>(b0.y, b0.w, b1.y, b1.w);
    out[o + 2u * q.hw] = vec4<f32>(b2.x, b2.z, b3.x, b3.z);
    out[o + 3u * q.hw] = vec4<f32>(b2.y, b2.w, b3.y, b3.w);
}
