// Weight gradient on padded NHWC textures, deterministic (no atomics): each lane of a
// workgroup accumulates, over its own pixels (columns lane, lane + 8, ... of the rows of one
// slab), an 8 (output channels) x 4 (input channels) block of dw at one tap, and writes it to
// its own row of `partial` [slabs * 8, cout * cin * k * k]; conv2d_reduce.wgsl sums the rows
// in index order. Per pixel: 3 texel fetches feed 32 multiply-adds.
struct Params {
    h: u32, cout: u32, cin: u32, c4: u32,
    d4: u32, k: u32, pad: u32, rows: u32,
    slabs: u32, e: u32, wpad: u32, pad_: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var xt: texture_2d_array<f32>;
@group(0) @binding(3) var dt: texture_2d_array<f32>;

@compute @workgroup_size(8, 1, 1)
fn conv2d_backward_weight_tex(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let lane = lid.x;
    let slab = wid.x;
    let kk = p.k * p.k;
    let q = wid.y / kk;
    let tap = wid.y % kk;
    let ky = tap / p.k;
    let kx = tap % p.k;
    let cg = wid.z;
    var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0); var a5 = vec4<f32>(0.0);
    var a6 = vec4<f32>(0.0); var a7 = vec4<f32>(0.0);
    let r0 = slab * p.rows / p.slabs;
    let r1 = (slab + 1u) * p.rows / p.slabs;
    for (var r = r0; r < r1; r++) {
        let n = r / p.h;
        let y = r % p.h;
        let lx = n * p.c4 + q;
        let ld = n * p.d4 + 2u * cg;
        for (var x = lane; x < p.wpad; x += 8u) {
            let d0 = textureLoad(dt, vec2<u32>(x + p.pad, y + p.pad), ld, 0);
            let d1 = textureLoad(dt, vec2<u32>(x + p.pad, y + p.pad), ld + 1u, 0);
            let v = textureLoad(xt, vec2<u32>(x + kx, y + ky), lx, 0);
            a0 = fma(vec4<f32>(d0.x), v, a0);
            a1 = fma(vec4<f32>(d0.y), v, a1);
            a2 = fma(vec4<f32>(d0.z), v, a2);
            a3 = fma(vec4<f32>(d0.w), v, a3);
            a4 = fma(vec4<f32>(d1.x), v, a4);
            a5 = fma(vec4<f32>(d1.y), v, a5);
            a6 = fma(vec4<f32>(d1.z), v, a6);
            a7 = fma(vec4<f32>(d1.w), v, a7);
        }
    }
    let base = (slab * 8u + lane) * p.e;
    var acc = array<vec4<f32>, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
    for (var j = 0u; j < 8u; j++) {
        let co = cg * 8u + j;
        for (var i = 0u; i < 4u; i++) {
            let ci = q * 4u + i;
            if (co < p.cout && ci < p.cin) {
                partial[base + (co * p.cin + ci) * kk + tap] = acc[j][i];
            }
        }
    }
}
