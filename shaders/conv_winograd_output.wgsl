// Winograd F(2x2, 3x3) output transform (src/ops/conv_winograd.rs): Y = A^T M A (+ bias) of
// each tile, from the 16 GEMM products m[xi][t][o] (row stride cs >= cout, a multiple of 4,
// so 4 output channels load as one vec4), into the NCHW output bound from element `off`.
// Pixels of partial tiles past the image are dropped.
struct Params {
    w: u32, h: u32, cout: u32, cs: u32,
    tw: u32, tpi: u32, tiles: u32, off: u32,
    has_bias: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> m: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

// Row a of A^T applied to the 4 values m0..m3 (the 1-D output transform).
fn at(a: u32, m0: vec4<f32>, m1: vec4<f32>, m2: vec4<f32>, m3: vec4<f32>) -> vec4<f32> {
    if (a == 0u) { return m0 + m1 + m2; }
    return m1 - m2 - m3;
}

@compute @workgroup_size(64, 1, 1)
fn wino_output(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let o4 = gid.y;
    if (t >= p.tiles || 4u * o4 >= p.cout) { return; }
    let plane = p.tiles * p.cs / 4u;
    let base = t * p.cs / 4u + o4;
    var v: array<vec4<f32>, 16>;
    for (var xi = 0u; xi < 16u; xi++) {
        v[xi] = m[xi * plane + base];
    }
    var b = vec4<f32>(0.0);
    if (p.has_bias == 1u) {
        for (var j = 0u; j < 4u; j++) {
            if (4u * o4 + j < p.cout) { b[j] = bias[4u * o4 + j]; }
        }
    }
    let n = t / p.tpi;
    let r = t % p.tpi;
    let y0 = 2u * (r / p.tw);
    let x0 = 2u * (r % p.tw);
    for (var a = 0u; a < 2u; a++) {
        if (y0 + a >= p.h) { continue; }
        // Row a of A^T M: one combination per column c.
        let e0 = at(a, v[0], v[4], v[8], v[12]);
        let e1 = at(a, v[1], v[5], v[9], v[13]);
        let e2 = at(a, v[2], v[6], v[10], v[14]);
        let e3 = at(a, v[3], v[7], v[11], v[15]);
        for (var bx = 0u; bx < 2u; bx++) {
            if (x0 + bx >= p.w) { continue; }
            let out = at(bx, e0, e1, e2, e3) + b;
            for (var j = 0u; j < 4u; j++) {
                let o = 4u * o4 + j;
                if (o < p.cout) {
                    y[p.off + ((n * p.cout + o) * p.h + y0 + a) * p.w + x0 + bx] = out[j];
                }
            }
        }
    }
}
