// The weights of a conv whose forward is the direct texture kernel and whose input gradient
// is Winograd's (conv2d_multi.rs, `Path::WinogradDx`), in one dispatch: z = 0 writes the
// forward's texture t as conv2d_pack_weight.wgsl does (texel (o, q k k + tap) holds
// w[o][4q..4q+3][tap], zero past the channels), z = 1 the input gradient's U to uft as
// conv_winograd_weight.wgsl does with flip = 1 (texel (q, o) of layer xi = 4 r + c holds
// U[r][c] of w'[o][4q..4q+3], w'[o][i][ky][kx] = w[i][o][2 - ky][2 - kx]). 3x3 kernels.
struct Params { cout: u32, cin: u32, tw: u32, th: u32, frows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var t: texture_storage_2d<rgba32float, write>;
@group(0) @binding(3) var uft: texture_storage_2d_array<rgba32float, write>;

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
fn wino_weight_mixed(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.z == 0u) {
        if (gid.x >= p.tw || gid.y >= p.th) { return; }
        let o = gid.x;
        let q = gid.y / 9u;
        let tap = gid.y % 9u;
        var v = vec4<f32>(0.0);
        for (var j = 0u; j < 4u; j++) {
            let i = q * 4u + j;
            if (o < p.cout && i < p.cin) {
                v[j] = w[(o * p.cin + i) * 9u + tap];
            }
        }
        textureStore(t, vec2<u32>(gid.x, gid.y), v);
        return;
    }
    // The input gradient's conv: outputs o < cin, inputs 4q.. < cout.
    let o = gid.x;
    let q = gid.y;
    if (o >= p.frows || q >= (p.cout + 3u) / 4u) { return; }
    var g: array<vec4<f32>, 9>;
    for (var j = 0u; j < 4u; j++) {
        let i = 4u * q + j;
        if (o < p.cin && i < p.cout) {
            for (var tap = 0u; tap < 9u; tap++) {
                g[tap][j] = w[(i * p.cin + o) * 9u + 8u - tap];
            }
        }
    }
    for (var r = 0u; r < 4u; r++) {
        let e0 = gr(r, g[0], g[3], g[6]);
        let e1 = gr(r, g[1], g[4], g[7]);
        let e2 = gr(r, g[2], g[5], g[8]);
        for (var c = 0u; c < 4u; c++) {
            textureStore(uft, vec2<u32>(q, o), 4u * r + c, gr(c, e0, e1, e2));
        }
    }
}
