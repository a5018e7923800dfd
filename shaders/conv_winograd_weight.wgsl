// Winograd F(2x2, 3x3) weight transform U = G g G^T (src/ops/conv_winograd.rs), written as the
// GEMM's B^T operand: texel (q, o) of layer xi = 4 r + c holds U[r][c] of w'[o][4q..4q+3],
// zero past the channels. w' = w [Cout, Cin, 3, 3] for the forward; for the input gradient
// (flip = 1) w'[o][i][ky][kx] = w[i][o][2 - ky][2 - kx] (transposed, rotated 180 degrees).
struct Params { cout: u32, cin: u32, flip: u32, rows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var ut: texture_storage_2d_array<rgba32float, write>;

// Row r of G applied to the 3 values a0..a2 (the 1-D weight transform).
fn gr(r: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>) -> vec4<f32> {
    switch r {
        case 0u: { return a0; }
        case 1u: { return 0.5 * (a0 + a1 + a2); }
        case 2u: { return 0.5 * (a0 - a1 + a2); }
        default: { return a2; }
    }
}

@compute @workgroup_size(8, 8, 1)
fn wino_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    let o = gid.x;
    let q = gid.y;
    let no = select(p.cout, p.cin, p.flip == 1u);
    let ni = select(p.cin, p.cout, p.flip == 1u);
    if (o >= p.rows || q >= (ni + 3u) / 4u) { return; }
    // g[ky * 3 + kx] = taps of the 4 input channels 4q..4q+3.
    var g: array<vec4<f32>, 9>;
    for (var j = 0u; j < 4u; j++) {
        let i = 4u * q + j;
        if (o < no && i < ni) {
            for (var tap = 0u; tap < 9u; tap++) {
                if (p.flip == 1u) {
                    g[tap][j] = w[(i * p.cin + o) * 9u + 8u - tap];
                } else {
                    g[tap][j] = w[(o * p.cin + i) * 9u + tap];
                }
            }
        }
    }
    for (var r = 0u; r < 4u; r++) {
        let e0 = gr(r, g[0], g[3], g[6]);
        let e1 = gr(r, g[1], g[4], g[7]);
        let e2 = gr(r, g[2], g[5], g[8]);
        for (var c = 0u; c < 4u; c++) {
            textureStore(ut, vec2<u32>(q, o), 4u * r + c, gr(c, e0, e1, e2));
        }
    }
}
