// out = s * y + x (a residual branch scaled and added in one pass: RRDBNet's 0.2 residual
// scaling), four elements per lane (ops::binary::Map). Its backward is scale.wgsl (dy = s dout)
// and dout itself (dx).
struct Params { n: u32, offset: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;

@compute @workgroup_size(256)
fn scale_add_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) { out[i] = p.s * y[i] + x[i]; }
}
