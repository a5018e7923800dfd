// PReLU backward for x: dx = x > 0 ? dy : alpha[ch] * dy (channel as in prelu_forward.wgsl).
// The slope gradient is a reduction (reduce.wgsl, MODE 2).
struct Params { n: u32, offset: u32, c: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> alpha: array<f32>;

@compute @workgroup_size(256)
fn prelu_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let g = dy[i];
        dx[i] = select(alpha[((p.offset + i) / p.inner) % p.c] * g, g, x[i] > 0.0);
    }
}
