// Every part's gradient of a multi-input convolution (conv2d_multi.rs) in one pass: part j
// (channels start[j]..start[j+1] of dx) gets out_j[n, c, q] = (has_prev bit j ? prev_j[n, c, q]
// : 0) + dx[n, start[j] + c, q], the held gradient first as the tape sums. Unused bindings
// repeat dx (prev) or out0 (out) and are not touched. Needs 2 k + 1 storage buffers; with
// fewer, conv2d_grad_slice.wgsl runs once per part. Four positions per lane (len: vec4s per
// row; H W is a multiple of 4 on the path that uses it): on lavapipe a vec4 load costs about
// what a scalar one does. Grid: x = vec4s / 64, y (+ z folded) = blocks of 4 rows (n, channel).
struct Params {
    n: u32, c: u32, len: u32, has_prev: u32,
    // First channel of part j at start[j / 4][j % 4]; start[k] = c for k parts.
    start: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dx: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out0: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out1: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out2: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out3: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> prev0: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> prev1: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> prev2: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> prev3: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read> prev4: array<vec4<f32>>;

fn start(j: u32) -> u32 {
    return p.start[j / 4u][j % 4u];
}

fn held(j: u32, i: u32) -> vec4<f32> {
    switch j {
        case 0u: { return prev0[i]; }
        case 1u: { return prev1[i]; }
        case 2u: { return prev2[i]; }
        case 3u: { return prev3[i]; }
        default: { return prev4[i]; }
    }
}

fn put(j: u32, i: u32, v: vec4<f32>) {
    switch j {
        case 0u: { out0[i] = v; }
        case 1u: { out1[i] = v; }
        case 2u: { out2[i] = v; }
        case 3u: { out3[i] = v; }
        default: { out4[i] = v; }
    }
}

@compute @workgroup_size(64, 4)
fn conv2d_grad_slices(@builtin(global_invocation_id) gid: vec3<u32>,
                      @builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = (wid.y + wid.z * nwg.y) * 4u + lid.y;
    if (row >= p.n * p.c || gid.x >= p.len) { return; }
    let n = row / p.c;
    let ch = row % p.c;
    var j = 0u;
    for (var q = 1u; q < 5u; q++) {
        if (ch >= start(q)) { j = q; }
    }
    let cj = start(j + 1u) - start(j);
    let i = (n * cj + ch - start(j)) * p.len + gid.x;
    var v = dx[row * p.len + gid.x];
    if (((p.has_prev >> j) & 1u) == 1u) {
        v = held(j, i) + v;
    }
    put(j, i, v);
}
