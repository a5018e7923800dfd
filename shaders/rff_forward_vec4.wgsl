// rff_forward.wgsl with vec4 loads, for C % 4 == 0 and len % 4 == 0: per 4 input channels a
// lane loads 4 weight vec4s (W rows, uniform across the workgroup) and 4 x vec4s, and does 64
// multiply-adds (the scalar kernel loads 32 values for the same work).
struct Params { d: u32, c: u32, len: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> nsin: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> b: array<f32>;

@compute @workgroup_size(64)
fn rff_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>,
                    @builtin(workgroup_id) wid: vec3<u32>) {
    let n = wid.z;
    let q = gid.x;
    let len4 = p.len / 4u;
    let d0 = wid.y * 4u;
    if (q >= len4) {
        return;
    }
    let ds = vec4<u32>(d0, min(d0 + 1u, p.d - 1u), min(d0 + 2u, p.d - 1u), min(d0 + 3u, p.d - 1u));
    var acc0 = vec4<f32>(b[ds.x]);
    var acc1 = vec4<f32>(b[ds.y]);
    var acc2 = vec4<f32>(b[ds.z]);
    var acc3 = vec4<f32>(b[ds.w]);
    let c4 = p.c / 4u;
    let wrow = ds * c4;
    for (var k = 0u; k < c4; k++) {
        let xb = (n * p.c + 4u * k) * len4 + q;
        let x0 = x[xb];
        let x1 = x[xb + len4];
        let x2 = x[xb + 2u * len4];
        let x3 = x[xb + 3u * len4];
        let w0 = w[wrow.x + k];
        let w1 = w[wrow.y + k];
        let w2 = w[wrow.z + k];
        let w3 = w[wrow.w + k];
        acc0 = fma(vec4<f32>(w0.x), x0, fma(vec4<f32>(w0.y), x1, fma(vec4<f32>(w0.z), x2, fma(vec4<f32>(w0.w), x3, acc0))));
        acc1 = fma(vec4<f32>(w1.x), x0, fma(vec4<f32>(w1.y), x1, fma(vec4<f32>(w1.z), x2, fma(vec4<f32>(w1.w), x3, acc1))));
        acc2 = fma(vec4<f32>(w2.x), x0, fma(vec4<f32>(w2.y), x1, fma(vec4<f32>(w2.z), x2, fma(vec4<f32>(w2.w), x3, acc2))));
        acc3 = fma(vec4<f32>(w3.x), x0, fma(vec4<f32>(w3.y), x1, fma(vec4<f32>(w3.z), x2, fma(vec4<f32>(w3.w), x3, acc3))));
    }
    let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var r = 0u; r < 4u; r++) {
        if (d0 + r < p.d) {
            let o = (n * p.d + d0 + r) * len4 + q;
            out[o] = p.s * cos(accs[r]);
            nsin[o] = -p.s * sin(accs[r]);
        }
    }
}
