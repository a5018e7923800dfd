// out = s * g[0]: the backward of sum (s = 1) and mean (s = 1 / n); g is the [1] gradient.
// Four elements per lane (ops::binary::Map).
struct Params { n: u32, offset: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> g: array<f32>;

@compute @workgroup_size(256)
fn reduce_broadcast(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) { out[i] = vec4<f32>(p.s * g[0]); }
}
