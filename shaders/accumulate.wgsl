// out = a + b, four elements per lane: gradient accumulation. Out of place, because a backward
// rule may hand the same buffer to several inputs (add passes dout through to both operands).
// Bindings cover the tensors rounded up to 16 bytes (pool buffers are 256-byte multiples);
// the padding lanes compute garbage that nothing reads.
struct Params { n4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<f32>>;

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n4) {
        out[i] = a[i] + b[i];
    }
}
