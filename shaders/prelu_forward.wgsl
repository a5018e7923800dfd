// PReLU forward: out = x > 0 ? x : alpha[ch] * x, ch = ((offset + i) / inner) % c
// (alpha [C] on dim 1: inner = H*W; alpha [1]: c = inner = 1). 1-D grid folded into 2-D.
struct Params { n: u32, offset: u32, c: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> alpha: array<f32>;

@compute @workgroup_size(256)
fn prelu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let v = x[i];
        out[i] = select(alpha[((p.offset + i) / p.inner) % p.c] * v, v, v > 0.0);
    }
}
