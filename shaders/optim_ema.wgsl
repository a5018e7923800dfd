// EMA of weights in place (BasicSR model_ema): ema = ema * decay + (1 - decay) * w.
// Four elements per lane (ops::binary::Map).
struct Params { n: u32, offset: u32, decay: f32, w1: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> ema: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;

@compute @workgroup_size(256)
fn ema_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) { ema[i] = ema[i] * p.decay + p.w1 * w[i]; }
}
