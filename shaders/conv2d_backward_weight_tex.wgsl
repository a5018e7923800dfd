// Weight gradient on padded NHWC textures, deterministic (no atomics). One workgroup = one
// subgroup of 8 lanes; lane l owns input channels 4(8g + l)..+3 and accumulates a
// 16 (output channels) x 4 (input channels) block of dw at one tap over the pixels of one
// slab of rows. Per 2 pixels each lane fetches one dout texel (pixel l/4, channels
// 4(l%4)..+3) and the lanes share them with subgroupBroadcast; each lane fetches its own
// input texel per pixel: 1 fetch + 4 broadcasts per 64 multiply-adds. The block goes to row
// `slab` of `partial` [slabs, cout * cin * k * k]; conv2d_reduce.wgsl sums the rows in order.
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
fn conv2d_backward_weight_tex(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let slab = wid.x;
    let kk = p.k * p.k;
    let g = wid.y % p.q8;
    let tap = wid.y / p.q8;
    let ky = tap / p.k;
    let kx = tap % p.k;
    let cg = wid.z;
    let q = g * 8u + lane;
    let ql = min(q, p.c4 - 1u);
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0);
    var a5 = vec4<f32>(0.0);
    var a6 = vec4<f32>(0.0);
    var a7 = vec4<f32>(0.0);
    var a8 = vec4<f32>(0.0);
    var a9 = vec4<f32>(0.0);
    var a10 = vec4<f32>(0.0);
    var a11 = vec4<f32>(0.0);
    var a12 = vec4<f32>(0.0);
    var a13 = vec4<f32>(0.0);
    var a14 = vec4<f32>(0.0);
    var a15 = vec4<f32>(0.0);
    let r0 = slab * p.rows / p.slabs;
    let r1 = (slab + 1u) * p.rows / p.slabs;
    for (var r = r0; r < r1; r++) {
        let n = r / p.h;
        let y = r % p.h;
        let lx = n * p.ls + ql;
        // dout layers past the last one (cout not a multiple of 16) are clamped: their
        // products land in accumulators of channels >= cout, which are never written.
        let ld = n * p.d4 + min(4u * cg + (lane & 3u), p.d4 - 1u);
        for (var x = 0u; x < p.wpad; x += 2u) {
            let dv = textureLoad(dt, vec2<u32>(x + (lane >> 2u) + p.pad, y + p.pad), ld, 0);
            {
                let d0 = subgroupBroadcast(dv, 0u);
                let d1 = subgroupBroadcast(dv, 1u);
                let d2 = subgroupBroadcast(dv, 2u);
                let d3 = subgroupBroadcast(dv, 3u);
                let v = textureLoad(xt, vec2<u32>(x + 0u + kx, y + ky), lx, 0);
                a0 = fma(vec4<f32>(d0.x), v, a0);
                a1 = fma(vec4<f32>(d0.y), v, a1);
                a2 = fma(vec4<f32>(d0.z), v, a2);
                a3 = fma(vec4<f32>(d0.w), v, a3);
                a4 = fma(vec4<f32>(d1.x), v, a4);
                a5 = fma(vec4<f32>(d1.y), v, a5);
                a6 = fma(vec4<f32>(d1.z), v, a6);
                a7 = fma(vec4<f32>(d1.w), v, a7);
                a8 = fma(vec4<f32>(d2.x), v, a8);
                a9 = fma(vec4<f32>(d2.y), v, a9);
                a10 = fma(vec4<f32>(d2.z), v, a10);
                a11 = fma(vec4<f32>(d2.w), v, a11);
                a12 = fma(vec4<f32>(d3.x), v, a12);
                a13 = fma(vec4<f32>(d3.y), v, a13);
                a14 = fma(vec4<f32>(d3.z), v, a14);
                a15 = fma(vec4<f32>(d3.w), v, a15);
            }
            {
                let d0 = subgroupBroadcast(dv, 4u);
                let d1 = subgroupBroadcast(dv, 5u);
                let d2 = subgroupBroadcast(dv, 6u);
                let d3 = subgroupBroadcast(dv, 7u);
                let v = textureLoad(xt, vec2<u32>(x + 1u + kx, y + ky), lx, 0);
                a0 = fma(vec4<f32>(d0.x), v, a0);
                a1 = fma(vec4<f32>(d0.y), v, a1);
                a2 = fma(vec4<f32>(d0.z), v, a2);
                a3 = fma(vec4<f32>(d0.w), v, a3);
                a4 = fma(vec4<f32>(d1.x), v, a4);
                a5 = fma(vec4<f32>(d1.y), v, a5);
                a6 = fma(vec4<f32>(d1.z), v, a6);
                a7 = fma(vec4<f32>(d1.w), v, a7);
                a8 = fma(vec4<f32>(d2.x), v, a8);
                a9 = fma(vec4<f32>(d2.y), v, a9);
                a10 = fma(vec4<f32>(d2.z), v, a10);
                a11 = fma(vec4<f32>(d2.w), v, a11);
                a12 = fma(vec4<f32>(d3.x), v, a12);
                a13 = fma(vec4<f32>(d3.y), v, a13);
                a14 = fma(vec4<f32>(d3.z), v, a14);
                a15 = fma(vec4<f32>(d3.w), v, a15);
            }
        }
    }
    let base = slab * p.e;
    var acc = array<vec4<f32>, 16>(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    for (var j = 0u; j < 16u; j++) {
        let co = cg * 16u + j;
        for (var i = 0u; i < 4u; i++) {
            let ci = q * 4u + i;
            if (co < p.cout && ci < p.cin) {
                partial[base + (co * p.cin + ci) * kk + tap] = acc[j][i];
            }
        }
    }
}
