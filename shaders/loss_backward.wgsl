// Gradient of a mean loss over d = pred - target: out = dy[0] * s * f'(d), s = +-1 / n (+ for
// pred, - for target). Four elements per lane (ops::binary::Map). MODE (override) as in
// reduce.wgsl:
//   3: L1, f' = sign(d) (0 at 0, as torch)   4: MSE, f' = 2 d
//   5: Charbonnier, f' = d / sqrt(d^2 + eps^2)
override MODE: u32 = 3u;
struct Params { n: u32, offset: u32, s: f32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> pred: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> tgt: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;

@compute @workgroup_size(256)
fn loss_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let d = pred[i] - tgt[i];
        var f: vec4<f32>;
        switch MODE {
            case 4u: { f = 2.0 * d; }
            case 5u: { f = d / sqrt(d * d + p.eps * p.eps); }
            default: { f = sign(d); }
        }
        out[i] = (dy[0] * p.s) * f;
    }
}
