// Adam / AdamW step in place, in torch.optim.Adam's single-tensor order of operations:
//   AdamW: w = w * (1 - lr * wd)        Adam: g = g + wd * w
//   m = m + (1 - beta1) * (g - m)       (lerp)
//   v = v * beta2 + (1 - beta2) * g * g
//   w = w - step_size * m / (sqrt(v) / sqrt(bc2) + eps),  step_size = lr / bc1
// with bias corrections bc1 = 1 - beta1^t, bc2 = 1 - beta2^t computed on the host in f64.
// Four elements per lane (ops::binary::Map).
struct Params {
    n: u32, offset: u32, w1: f32, beta2: f32, w2: f32, step_size: f32, bc2_sqrt: f32, eps: f32,
    wd: f32, decay: f32, decoupled: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4<f32>>;

@compute @workgroup_size(256)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        var wi = w[i];
        var gi = g[i];
        if (p.decoupled != 0u) { wi = wi * p.decay; } else { gi = gi + p.wd * wi; }
        let mi = m[i];
        let m2 = mi + p.w1 * (gi - mi);
        let v2 = v[i] * p.beta2 + p.w2 * gi * gi;
        m[i] = m2;
        v[i] = v2;
        let denom = sqrt(v2) / p.bc2_sqrt + p.eps;
        w[i] = wi + (-p.step_size) * (m2 / denom);
    }
}
