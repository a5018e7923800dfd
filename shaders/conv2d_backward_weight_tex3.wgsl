// conv2d_backward_weight_tex.wgsl specialised to 3x3 kernels: a workgroup accumulates the
// three taps kx = 0..2 of one kernel row ky, so neighbouring pixels share input columns and
// one dout fetch serves three taps. One workgroup = one subgroup of 8 lanes; lane l owns input
// channels 4(8g + l)..+3 and accumulates 8 output channels x 4 input channels x 3 taps (96
// accumulators, mostly spilled) over the pixels of one slab of rows. Per 4 pixels each lane
// fetches one dout texel (pixel l/2, channels 4(2cg + l%2)..+3, shared by subgroupBroadcast)
// and 6 input columns: 7 fetches per 384 multiply-adds against 3 per 128 in the generic
// kernel (lavapipe's textureLoad is an out-of-line call; see conv2d_forward_tex3.wgsl). Each
// accumulator still sums its pixels in ascending order, as the generic kernel does, so the
// partial sums are bit-identical. The block goes to row `slab` of `partial`
// [slabs, cout * cin * 9]; conv2d_reduce.wgsl sums the rows in order.
struct Params {
    h: u32, cout: u32, cin: u32, c4: u32,
    d4: u32, k: u32, pad: u32, rows: u32,
    slabs: u32, e: u32, wpad: u32, q8: u32,
    // Layers per batch item of xt (c4, or more where xt is a dense block's shared texture:
    // conv2d_multi.rs FeatureStack).
    ls: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var xt: texture_2d_array<f32>;
@group(0) @binding(3) var dt: texture_2d_array<f32>;

@compute @workgroup_size(8, 1, 1)
fn conv2d_backward_weight_tex3(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let slab = wid.x;
    let g = wid.y % p.q8;
    let ky = wid.y / p.q8;
    let cg = wid.z;
    let q = g * 8u + lane;
    let ql = min(q, p.c4 - 1u);
    var a0_0 = vec4<f32>(0.0); var a0_1 = vec4<f32>(0.0); var a0_2 = vec4<f32>(0.0); var a0_3 = vec4<f32>(0.0);
    var a0_4 = vec4<f32>(0.0); var a0_5 = vec4<f32>(0.0); var a0_6 = vec4<f32>(0.0); var a0_7 = vec4<f32>(0.0);
    var a1_0 = vec4<f32>(0.0); var a1_1 = vec4<f32>(0.0); var a1_2 = vec4<f32>(0.0); var a1_3 = vec4<f32>(0.0);
    var a1_4 = vec4<f32>(0.0); var a1_5 = vec4<f32>(0.0); var a1_6 = vec4<f32>(0.0); var a1_7 = vec4<f32>(0.0);
    var a2_0 = vec4<f32>(0.0); var a2_1 = vec4<f32>(0.0); var a2_2 = vec4<f32>(0.0); var a2_3 = vec4<f32>(0.0);
    var a2_4 = vec4<f32>(0.0); var a2_5 = vec4<f32>(0.0); var a2_6 = vec4<f32>(0.0); var a2_7 = vec4<f32>(0.0);
    let r0 = slab * p.rows / p.slabs;
    let r1 = (slab + 1u) * p.rows / p.slabs;
    for (var r = r0; r < r1; r++) {
        let n = r / p.h;
        let y = r % p.h;
        let lx = n * p.ls + ql;
        // dout layers past the last one (cout not a multiple of 8) are clamped: their
        // products land in accumulators of channels >= cout, which are never written.
        let ld = n * p.d4 + min(2u * cg + (lane & 1u), p.d4 - 1u);
        // Columns x + 4 and x + 5 are the next step's x + 0 and x + 1: carried, not fetched
        // again (5 fetches per step instead of 7).
        var nx0 = textureLoad(xt, vec2<u32>(0u, y + ky), lx, 0);
        var nx1 = textureLoad(xt, vec2<u32>(1u, y + ky), lx, 0);
        for (var x = 0u; x < p.wpad; x += 4u) {
            let dv = textureLoad(dt, vec2<u32>(x + (lane >> 1u) + p.pad, y + p.pad), ld, 0);
            let c0 = nx0;
            let c1 = nx1;
            let c2 = textureLoad(xt, vec2<u32>(x + 2u, y + ky), lx, 0);
            let c3 = textureLoad(xt, vec2<u32>(x + 3u, y + ky), lx, 0);
            let c4 = textureLoad(xt, vec2<u32>(x + 4u, y + ky), lx, 0);
            let c5 = textureLoad(xt, vec2<u32>(x + 5u, y + ky), lx, 0);
            {
                // Pixel x + 0: output channels 0..3 from lane 0, 4..7 from lane 1.
                let d0 = subgroupBroadcast(dv, 0u);
                let d1 = subgroupBroadcast(dv, 1u);
                a0_0 = fma(vec4<f32>(d0.x), c0, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c0, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c0, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c0, a0_3);
                a0_4 = fma(vec4<f32>(d1.x), c0, a0_4);
                a0_5 = fma(vec4<f32>(d1.y), c0, a0_5);
                a0_6 = fma(vec4<f32>(d1.z), c0, a0_6);
                a0_7 = fma(vec4<f32>(d1.w), c0, a0_7);
                a1_0 = fma(vec4<f32>(d0.x), c1, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c1, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c1, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c1, a1_3);
                a1_4 = fma(vec4<f32>(d1.x), c1, a1_4);
                a1_5 = fma(vec4<f32>(d1.y), c1, a1_5);
                a1_6 = fma(vec4<f32>(d1.z), c1, a1_6);
                a1_7 = fma(vec4<f32>(d1.w), c1, a1_7);
                a2_0 = fma(vec4<f32>(d0.x), c2, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c2, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c2, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c2, a2_3);
                a2_4 = fma(vec4<f32>(d1.x), c2, a2_4);
                a2_5 = fma(vec4<f32>(d1.y), c2, a2_5);
                a2_6 = fma(vec4<f32>(d1.z), c2, a2_6);
                a2_7 = fma(vec4<f32>(d1.w), c2, a2_7);
            }
            {
                // Pixel x + 1: output channels 0..3 from lane 2, 4..7 from lane 3.
                let d0 = subgroupBroadcast(dv, 2u);
                let d1 = subgroupBroadcast(dv, 3u);
                a0_0 = fma(vec4<f32>(d0.x), c1, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c1, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c1, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c1, a0_3);
                a0_4 = fma(vec4<f32>(d1.x), c1, a0_4);
                a0_5 = fma(vec4<f32>(d1.y), c1, a0_5);
                a0_6 = fma(vec4<f32>(d1.z), c1, a0_6);
                a0_7 = fma(vec4<f32>(d1.w), c1, a0_7);
                a1_0 = fma(vec4<f32>(d0.x), c2, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c2, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c2, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c2, a1_3);
                a1_4 = fma(vec4<f32>(d1.x), c2, a1_4);
                a1_5 = fma(vec4<f32>(d1.y), c2, a1_5);
                a1_6 = fma(vec4<f32>(d1.z), c2, a1_6);
                a1_7 = fma(vec4<f32>(d1.w), c2, a1_7);
                a2_0 = fma(vec4<f32>(d0.x), c3, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c3, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c3, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c3, a2_3);
                a2_4 = fma(vec4<f32>(d1.x), c3, a2_4);
                a2_5 = fma(vec4<f32>(d1.y), c3, a2_5);
                a2_6 = fma(vec4<f32>(d1.z), c3, a2_6);
                a2_7 = fma(vec4<f32>(d1.w), c3, a2_7);
            }
            {
                // Pixel x + 2: output channels 0..3 from lane 4, 4..7 from lane 5.
                let d0 = subgroupBroadcast(dv, 4u);
                let d1 = subgroupBroadcast(dv, 5u);
                a0_0 = fma(vec4<f32>(d0.x), c2, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c2, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c2, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c2, a0_3);
                a0_4 = fma(vec4<f32>(d1.x), c2, a0_4);
                a0_5 = fma(vec4<f32>(d1.y), c2, a0_5);
                a0_6 = fma(vec4<f32>(d1.z), c2, a0_6);
                a0_7 = fma(vec4<f32>(d1.w), c2, a0_7);
                a1_0 = fma(vec4<f32>(d0.x), c3, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c3, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c3, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c3, a1_3);
                a1_4 = fma(vec4<f32>(d1.x), c3, a1_4);
                a1_5 = fma(vec4<f32>(d1.y), c3, a1_5);
                a1_6 = fma(vec4<f32>(d1.z), c3, a1_6);
                a1_7 = fma(vec4<f32>(d1.w), c3, a1_7);
                a2_0 = fma(vec4<f32>(d0.x), c4, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c4, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c4, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c4, a2_3);
                a2_4 = fma(vec4<f32>(d1.x), c4, a2_4);
                a2_5 = fma(vec4<f32>(d1.y), c4, a2_5);
                a2_6 = fma(vec4<f32>(d1.z), c4, a2_6);
                a2_7 = fma(vec4<f32>(d1.w), c4, a2_7);
            }
            {
                // Pixel x + 3: output channels 0..3 from lane 6, 4..7 from lane 7.
                let d0 = subgroupBroadcast(dv, 6u);
                let d1 = subgroupBroadcast(dv, 7u);
                a0_0 = fma(vec4<f32>(d0.x), c3, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c3, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c3, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c3, a0_3);
                a0_4 = fma(vec4<f32>(d1.x), c3, a0_4);
                a0_5 = fma(vec4<f32>(d1.y), c3, a0_5);
                a0_6 = fma(vec4<f32>(d1.z), c3, a0_6);
                a0_7 = fma(vec4<f32>(d1.w), c3, a0_7);
                a1_0 = fma(vec4<f32>(d0.x), c4, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c4, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c4, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c4, a1_3);
                a1_4 = fma(vec4<f32>(d1.x), c4, a1_4);
                a1_5 = fma(vec4<f32>(d1.y), c4, a1_5);
                a1_6 = fma(vec4<f32>(d1.z), c4, a1_6);
                a1_7 = fma(vec4<f32>(d1.w), c4, a1_7);
                a2_0 = fma(vec4<f32>(d0.x), c5, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c5, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c5, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c5, a2_3);
                a2_4 = fma(vec4<f32>(d1.x), c5, a2_4);
                a2_5 = fma(vec4<f32>(d1.y), c5, a2_5);
                a2_6 = fma(vec4<f32>(d1.z), c5, a2_6);
                a2_7 = fma(vec4<f32>(d1.w), c5, a2_7);
            }
            nx0 = c4;
            nx1 = c5;
        }
    }
    let base = slab * p.e;
    var acc = array<vec4<f32>, 24>(
        a0_0, a0_1, a0_2, a0_3, a0_4, a0_5, a0_6, a0_7, a1_0, a1_1, a1_2, a1_3, a1_4, a1_5, a1_6, a1_7, a2_0, a2_1, a2_2, a2_3, a2_4, a2_5, a2_6, a2_7,
    );
    for (var kx = 0u; kx < 3u; kx++) {
        let tap = ky * 3u + kx;
        for (var j = 0u; j < 8u; j++) {
            let co = cg * 8u + j;
            for (var i = 0u; i < 4u; i++) {
                let ci = q * 4u + i;
                if (co < p.cout && ci < p.cin) {
                    partial[base + (co * p.cin + ci) * 9u + tap] = acc[kx * 8u + j][i];
                }
            }
        }
    }
}
