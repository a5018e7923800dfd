// PReLU backward for x: dx = x > 0 ? dy : alpha[ch] * dy (channel as in prelu_forward.wgsl).
// The slope gradient is a reduction (reduce*.wgsl, MODE 2). Four elements per lane.
struct Params { n: u32, offset: u32, c: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dx: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> alpha: array<f32>;

fn chan(e: u32) -> f32 { return alpha[(e / p.inner) % p.c]; }

@compute @workgroup_size(256)
fn prelu_backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let e = p.offset + 4u * i;
        var a: vec4<f32>;
        if (p.inner % 4u == 0u) {
            a = vec4<f32>(chan(e));
        } else {
            a = vec4<f32>(chan(e), chan(e + 1u), chan(e + 2u), chan(e + 3u));
        }
        let g = dy[i];
        dx[i] = select(a * g, g, x[i] > vec4<f32>(0.0));
    }
}
