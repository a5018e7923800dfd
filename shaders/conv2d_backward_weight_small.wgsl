// Weight gradient of 3x3 convolutions with few channels (SRResNet tiny: 16 features), and the
// bias gradient in the same pass. conv2d_backward_weight_tex3.wgsl gives each of its 8 lanes
// 4 input channels, so with 16 input channels half its lanes compute nothing (with 3, seven
// of eight). Here lane l owns input channels 4(4g + l % 4)..+3 and output channels
// 16 cg + 8 (l / 4)..+7: the 4 lanes of each half share the same dout values, the two halves
// the same input columns, so all 8 lanes work whenever Cin > 12. Per 4 pixels a lane fetches
// 2 dout texels (pixel l/2, channel texels 4 cg + l % 2 and + 2; shared by subgroupBroadcast,
// each lane selecting its half's) and 6 input columns, then does 96 vec4 multiply-adds
// (8 output channels x 3 taps kx x 4 pixels; kernel row ky = the workgroup's). Workgroups
// with g = 0 and ky = 0 also sum dout (the bias gradient) from the texels they already hold:
// `bpartial` row `slab` gets the slab's sum per output channel, in a fixed order (lanes 0, 2,
// 4, 6 then 1, 3, 5, 7), so the result is bit-identical run to run. The weight block goes to
// row `slab` of `partial` [slabs, cout * cin * 9]; conv2d_reduce.wgsl sums both in order.
// Padded dout texels (x >= w) are zero, so they add nothing to either sum.
// With `split` = 1 (Cout <= 8, where the upper half would hold no channels) both halves take
// output channels 0..7 and split the rows instead: the upper half takes row r + 1 of each
// pair (dv1 = its dout texels), and each half writes its own row 2 slab + half of `partial`.
struct Params {
    h: u32, cout: u32, cin: u32, c4: u32,
    d4: u32, pad: u32, rows: u32, slabs: u32,
    e: u32, wpad: u32, q4: u32, has_bias: u32,
    split: u32,
}
// Output channels per lane: 8, or 4 where the conv has at most 4 (with split = 1: an image's
// last conv, 3 channels, would leave 5 of 8 computed for nothing). With CO = 4 the
// multiply-adds of channels 4..7 are removed when the pipeline is created (CO is a pipeline
// constant); their accumulators stay zero and are never stored (co >= cout).
override CO: u32 = 8u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> bpartial: array<f32>;
@group(0) @binding(3) var xt: texture_2d_array<f32>;
@group(0) @binding(4) var dt: texture_2d_array<f32>;

@compute @workgroup_size(8, 1, 1)
fn conv2d_backward_weight_small(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let slab = wid.x;
    let g = wid.y % p.q4;
    let ky = wid.y / p.q4;
    let cg = wid.z;
    let q = g * 4u + (lane & 3u);
    let ql = min(q, p.c4 - 1u);
    let hi = (lane >> 2u) == 1u;
    var a0_0 = vec4<f32>(0.0); var a0_1 = vec4<f32>(0.0); var a0_2 = vec4<f32>(0.0); var a0_3 = vec4<f32>(0.0);
    var a0_4 = vec4<f32>(0.0); var a0_5 = vec4<f32>(0.0); var a0_6 = vec4<f32>(0.0); var a0_7 = vec4<f32>(0.0);
    var a1_0 = vec4<f32>(0.0); var a1_1 = vec4<f32>(0.0); var a1_2 = vec4<f32>(0.0); var a1_3 = vec4<f32>(0.0);
    var a1_4 = vec4<f32>(0.0); var a1_5 = vec4<f32>(0.0); var a1_6 = vec4<f32>(0.0); var a1_7 = vec4<f32>(0.0);
    var a2_0 = vec4<f32>(0.0); var a2_1 = vec4<f32>(0.0); var a2_2 = vec4<f32>(0.0); var a2_3 = vec4<f32>(0.0);
    var a2_4 = vec4<f32>(0.0); var a2_5 = vec4<f32>(0.0); var a2_6 = vec4<f32>(0.0); var a2_7 = vec4<f32>(0.0);
    var bs0 = vec4<f32>(0.0);
    var bs1 = vec4<f32>(0.0);
    let r0 = slab * p.rows / p.slabs;
    let r1 = (slab + 1u) * p.rows / p.slabs;
    for (var r = r0; r < r1; r += 1u + p.split) {
        let n = r / p.h;
        let y = r % p.h;
        // split: the upper half's row (clamped to the slab; past it, its dout is zeroed).
        let rn = min(r + p.split, r1 - 1u);
        let n1 = rn / p.h;
        let y1 = rn % p.h;
        let m1 = select(0.0, 1.0, p.split == 0u || r + 1u < r1);
        let rl = select(r, rn, hi);
        let lx = (rl / p.h) * p.c4 + ql;
        let yl = rl % p.h;
        // dout layers past the last one (cout not a multiple of 16) are clamped: their
        // products land in accumulators of channels >= cout, which are never written.
        let ld0 = n * p.d4 + min(4u * cg + (lane & 1u), p.d4 - 1u);
        let ld1 = n1 * p.d4 + min(4u * cg + 2u * (1u - p.split) + (lane & 1u), p.d4 - 1u);
        // Columns x + 4 and x + 5 are the next step's x + 0 and x + 1: carried, not fetched
        // again (6 fetches per step instead of 8).
        var nx0 = textureLoad(xt, vec2<u32>(0u, yl + ky), lx, 0);
        var nx1 = textureLoad(xt, vec2<u32>(1u, yl + ky), lx, 0);
        for (var x = 0u; x < p.wpad; x += 4u) {
            let dx = x + (lane >> 1u) + p.pad;
            let dv0 = textureLoad(dt, vec2<u32>(dx, y + p.pad), ld0, 0);
            let dv1 = textureLoad(dt, vec2<u32>(dx, y1 + p.pad), ld1, 0) * m1;
            bs0 += dv0;
            bs1 += dv1;
            let c0 = nx0;
            let c1 = nx1;
            let c2 = textureLoad(xt, vec2<u32>(x + 2u, yl + ky), lx, 0);
            let c3 = textureLoad(xt, vec2<u32>(x + 3u, yl + ky), lx, 0);
            let c4 = textureLoad(xt, vec2<u32>(x + 4u, yl + ky), lx, 0);
            let c5 = textureLoad(xt, vec2<u32>(x + 5u, yl + ky), lx, 0);
            {
                // Pixel x + 0: channels 0..3 of the lane's half from lane 0, 4..7 from lane 1.
                let d0 = select(subgroupBroadcast(dv0, 0u), subgroupBroadcast(dv1, 0u), hi);
                let d1 = select(subgroupBroadcast(dv0, 1u), subgroupBroadcast(dv1, 1u), hi);
                a0_0 = fma(vec4<f32>(d0.x), c0, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c0, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c0, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c0, a0_3);
                if (CO == 8u) {
                    a0_4 = fma(vec4<f32>(d1.x), c0, a0_4);
                    a0_5 = fma(vec4<f32>(d1.y), c0, a0_5);
                    a0_6 = fma(vec4<f32>(d1.z), c0, a0_6);
                    a0_7 = fma(vec4<f32>(d1.w), c0, a0_7);
                }
                a1_0 = fma(vec4<f32>(d0.x), c1, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c1, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c1, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c1, a1_3);
                if (CO == 8u) {
                    a1_4 = fma(vec4<f32>(d1.x), c1, a1_4);
                    a1_5 = fma(vec4<f32>(d1.y), c1, a1_5);
                    a1_6 = fma(vec4<f32>(d1.z), c1, a1_6);
                    a1_7 = fma(vec4<f32>(d1.w), c1, a1_7);
                }
                a2_0 = fma(vec4<f32>(d0.x), c2, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c2, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c2, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c2, a2_3);
                if (CO == 8u) {
                    a2_4 = fma(vec4<f32>(d1.x), c2, a2_4);
                    a2_5 = fma(vec4<f32>(d1.y), c2, a2_5);
                    a2_6 = fma(vec4<f32>(d1.z), c2, a2_6);
                    a2_7 = fma(vec4<f32>(d1.w), c2, a2_7);
                }
            }
            {
                // Pixel x + 1: channels 0..3 of the lane's half from lane 2, 4..7 from lane 3.
                let d0 = select(subgroupBroadcast(dv0, 2u), subgroupBroadcast(dv1, 2u), hi);
                let d1 = select(subgroupBroadcast(dv0, 3u), subgroupBroadcast(dv1, 3u), hi);
                a0_0 = fma(vec4<f32>(d0.x), c1, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c1, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c1, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c1, a0_3);
                if (CO == 8u) {
                    a0_4 = fma(vec4<f32>(d1.x), c1, a0_4);
                    a0_5 = fma(vec4<f32>(d1.y), c1, a0_5);
                    a0_6 = fma(vec4<f32>(d1.z), c1, a0_6);
                    a0_7 = fma(vec4<f32>(d1.w), c1, a0_7);
                }
                a1_0 = fma(vec4<f32>(d0.x), c2, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c2, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c2, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c2, a1_3);
                if (CO == 8u) {
                    a1_4 = fma(vec4<f32>(d1.x), c2, a1_4);
                    a1_5 = fma(vec4<f32>(d1.y), c2, a1_5);
                    a1_6 = fma(vec4<f32>(d1.z), c2, a1_6);
                    a1_7 = fma(vec4<f32>(d1.w), c2, a1_7);
                }
                a2_0 = fma(vec4<f32>(d0.x), c3, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c3, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c3, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c3, a2_3);
                if (CO == 8u) {
                    a2_4 = fma(vec4<f32>(d1.x), c3, a2_4);
                    a2_5 = fma(vec4<f32>(d1.y), c3, a2_5);
                    a2_6 = fma(vec4<f32>(d1.z), c3, a2_6);
                    a2_7 = fma(vec4<f32>(d1.w), c3, a2_7);
                }
            }
            {
                // Pixel x + 2: channels 0..3 of the lane's half from lane 4, 4..7 from lane 5.
                let d0 = select(subgroupBroadcast(dv0, 4u), subgroupBroadcast(dv1, 4u), hi);
                let d1 = select(subgroupBroadcast(dv0, 5u), subgroupBroadcast(dv1, 5u), hi);
                a0_0 = fma(vec4<f32>(d0.x), c2, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c2, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c2, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c2, a0_3);
                if (CO == 8u) {
                    a0_4 = fma(vec4<f32>(d1.x), c2, a0_4);
                    a0_5 = fma(vec4<f32>(d1.y), c2, a0_5);
                    a0_6 = fma(vec4<f32>(d1.z), c2, a0_6);
                    a0_7 = fma(vec4<f32>(d1.w), c2, a0_7);
                }
                a1_0 = fma(vec4<f32>(d0.x), c3, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c3, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c3, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c3, a1_3);
                if (CO == 8u) {
                    a1_4 = fma(vec4<f32>(d1.x), c3, a1_4);
                    a1_5 = fma(vec4<f32>(d1.y), c3, a1_5);
                    a1_6 = fma(vec4<f32>(d1.z), c3, a1_6);
                    a1_7 = fma(vec4<f32>(d1.w), c3, a1_7);
                }
                a2_0 = fma(vec4<f32>(d0.x), c4, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c4, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c4, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c4, a2_3);
                if (CO == 8u) {
                    a2_4 = fma(vec4<f32>(d1.x), c4, a2_4);
                    a2_5 = fma(vec4<f32>(d1.y), c4, a2_5);
                    a2_6 = fma(vec4<f32>(d1.z), c4, a2_6);
                    a2_7 = fma(vec4<f32>(d1.w), c4, a2_7);
                }
            }
            {
                // Pixel x + 3: channels 0..3 of the lane's half from lane 6, 4..7 from lane 7.
                let d0 = select(subgroupBroadcast(dv0, 6u), subgroupBroadcast(dv1, 6u), hi);
                let d1 = select(subgroupBroadcast(dv0, 7u), subgroupBroadcast(dv1, 7u), hi);
                a0_0 = fma(vec4<f32>(d0.x), c3, a0_0);
                a0_1 = fma(vec4<f32>(d0.y), c3, a0_1);
                a0_2 = fma(vec4<f32>(d0.z), c3, a0_2);
                a0_3 = fma(vec4<f32>(d0.w), c3, a0_3);
                if (CO == 8u) {
                    a0_4 = fma(vec4<f32>(d1.x), c3, a0_4);
                    a0_5 = fma(vec4<f32>(d1.y), c3, a0_5);
                    a0_6 = fma(vec4<f32>(d1.z), c3, a0_6);
                    a0_7 = fma(vec4<f32>(d1.w), c3, a0_7);
                }
                a1_0 = fma(vec4<f32>(d0.x), c4, a1_0);
                a1_1 = fma(vec4<f32>(d0.y), c4, a1_1);
                a1_2 = fma(vec4<f32>(d0.z), c4, a1_2);
                a1_3 = fma(vec4<f32>(d0.w), c4, a1_3);
                if (CO == 8u) {
                    a1_4 = fma(vec4<f32>(d1.x), c4, a1_4);
                    a1_5 = fma(vec4<f32>(d1.y), c4, a1_5);
                    a1_6 = fma(vec4<f32>(d1.z), c4, a1_6);
                    a1_7 = fma(vec4<f32>(d1.w), c4, a1_7);
                }
                a2_0 = fma(vec4<f32>(d0.x), c5, a2_0);
                a2_1 = fma(vec4<f32>(d0.y), c5, a2_1);
                a2_2 = fma(vec4<f32>(d0.z), c5, a2_2);
                a2_3 = fma(vec4<f32>(d0.w), c5, a2_3);
                if (CO == 8u) {
                    a2_4 = fma(vec4<f32>(d1.x), c5, a2_4);
                    a2_5 = fma(vec4<f32>(d1.y), c5, a2_5);
                    a2_6 = fma(vec4<f32>(d1.z), c5, a2_6);
                    a2_7 = fma(vec4<f32>(d1.w), c5, a2_7);
                }
            }
            nx0 = c4;
            nx1 = c5;
        }
    }
    let half = lane >> 2u;
    let base = (slab * (1u + p.split) + p.split * half) * p.e;
    var acc = array<vec4<f32>, 24>(
        a0_0, a0_1, a0_2, a0_3, a0_4, a0_5, a0_6, a0_7, a1_0, a1_1, a1_2, a1_3, a1_4, a1_5, a1_6, a1_7, a2_0, a2_1, a2_2, a2_3, a2_4, a2_5, a2_6, a2_7,
    );
    for (var kx = 0u; kx < 3u; kx++) {
        let tap = ky * 3u + kx;
        for (var j = 0u; j < 8u; j++) {
            let co = cg * 16u + (1u - p.split) * half * 8u + j;
            for (var i = 0u; i < 4u; i++) {
                let ci = q * 4u + i;
                if (co < p.cout && ci < p.cin) {
                    partial[base + (co * p.cin + ci) * 9u + tap] = acc[kx * 8u + j][i];
                }
            }
        }
    }
    // Sums of channels 16 cg + 0..3 (even lanes' bs0), 4..7 (odd lanes' bs0), 8..11, 12..15;
    // split: bs1 holds channels 0..7 of the other rows.
    var s = array<vec4<f32>, 4>(
        subgroupBroadcast(bs0, 0u) + subgroupBroadcast(bs0, 2u) + subgroupBroadcast(bs0, 4u) + subgroupBroadcast(bs0, 6u),
        subgroupBroadcast(bs0, 1u) + subgroupBroadcast(bs0, 3u) + subgroupBroadcast(bs0, 5u) + subgroupBroadcast(bs0, 7u),
        subgroupBroadcast(bs1, 0u) + subgroupBroadcast(bs1, 2u) + subgroupBroadcast(bs1, 4u) + subgroupBroadcast(bs1, 6u),
        subgroupBroadcast(bs1, 1u) + subgroupBroadcast(bs1, 3u) + subgroupBroadcast(bs1, 5u) + subgroupBroadcast(bs1, 7u),
    );
    if (p.split == 1u) {
        s = array<vec4<f32>, 4>(s[0] + s[2], s[1] + s[3], vec4<f32>(0.0), vec4<f32>(0.0));
    }
    if (p.has_bias == 1u && g == 0u && ky == 0u && lane < 4u) {
        for (var i = 0u; i < 4u; i++) {
            let co = cg * 16u + lane * 4u + i;
            if (co < p.cout) {
                bpartial[slab * p.cout + co] = s[lane][i];
            }
        }
    }
}
