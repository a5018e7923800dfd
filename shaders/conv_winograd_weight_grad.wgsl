// Winograd F(2x2, 3x3) weight-gradient transform dg = G^T dU G (src/ops/conv_winograd.rs):
// du[xi][i][o] (the 16 GEMM products, row stride cout) -> dw [Cout, Cin, 3, 3]. With has_bias
// also db[o] = the sum of the output gradient over every pixel, from its transform dM in mt
// (conv_winograd_grads.wgsl's dout_cols: texel (g, o) of layer xi holds tiles 4g..4g+3):
// row 1 of A is (1, 1), so dM's position (1, 1) (layer 5) of a tile is the sum of its 2x2
// output gradients (zero past the image and past the last tile). Summed in a fixed order.
struct Params { cout: u32, cin: u32, has_bias: u32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read> du: array<f32>;
@group(0) @binding(3) var mt: texture_2d_array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

// Row k of G^T applied to the 4 values a0..a3.
fn gt(k: u32, a0: f32, a1: f32, a2: f32, a3: f32) -> f32 {
    switch k {
        case 0u: { return a0 + 0.5 * (a1 + a2); }
        case 1u: { return 0.5 * (a1 - a2); }
        default: { return 0.5 * (a1 + a2) + a3; }
    }
}

@compute @workgroup_size(8, 8, 1)
fn wino_weight_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let o = gid.y;
    if (o >= p.cout) { return; }
    if (i == 0u && p.has_bias == 1u) {
        var s = vec4<f32>(0.0);
        for (var g = 0u; g < p.groups; g++) {
            s += textureLoad(mt, vec2<u32>(g, o), 5u, 0);
        }
        db[o] = (s.x + s.y) + (s.z + s.w);
    }
    if (i >= p.cin) { return; }
    let plane = p.cin * p.cout;
    var u: array<f32, 16>;
    for (var xi = 0u; xi < 16u; xi++) {
        u[xi] = du[xi * plane + i * p.cout + o];
    }
    for (var ky = 0u; ky < 3u; ky++) {
        let e0 = gt(ky, u[0], u[4], u[8], u[12]);
        let e1 = gt(ky, u[1], u[5], u[9], u[13]);
        let e2 = gt(ky, u[2], u[6], u[10], u[14]);
        let e3 = gt(ky, u[3], u[7], u[11], u[15]);
        for (var kx = 0u; kx < 3u; kx++) {
            dw[((o * p.cin + i) * 3u + ky) * 3u + kx] = gt(kx, e0, e1, e2, e3);
        }
    }
}
