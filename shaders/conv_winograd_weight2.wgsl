// conv_winograd_weight.wgsl for both uses at once: z = 0 writes the forward's U (w' = w) to
// ut, z = 1 the input gradient's (w' transposed and rotated 180 degrees) to uft, so a
// convolution that will be differentiated transforms its weights in one dispatch
// (conv2d_multi.rs). Texel layout, zero fill and G as conv_winograd_weight.wgsl.
struct Params { cout: u32, cin: u32, rows: u32, frows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var ut: texture_storage_2d_array<rgba32float, write>;
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
fn wino_weight2(@builtin(global_invocation_id) gid: vec3<u32>) {
    let flip = gid.z == 1u;
    let o = gid.x;
    let q = gid.y;
    let no = select(p.cout, p.cin, flip);
    let ni = select(p.cin, p.cout, flip);
    if (o >= select(p.rows, p.frows, flip) || q >= (ni + 3u) / 4u) { return; }
    // g[ky * 3 + kx] = taps of the 4 input channels 4q..4q+3.
    var g: array<vec4<f32>, 9>;
    for (var j = 0u; j < 4u; j++) {
        let i = 4u * q + j;
        if (o < no && i < ni) {
            for (var tap = 0u; tap < 9u; tap++) {
                if (flip) {
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
            if (flip) {
                textureStore(uft, vec2<u32>(q, o), 4u * r + c, gr(c, e0, e1, e2));
            } else {
                textureStore(ut, vec2<u32>(q, o), 4u * r + c, gr(c, e0, e1, e2));
            }
        }
    }
}
