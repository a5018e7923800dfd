// wf [Cin, Cout, k, k] = w [Cout, Cin, k, k] transposed and rotated 180 degrees: the weights
// of the input gradient as a forward convolution of dout (buffer variant).
struct Params { cout: u32, cin: u32, kk: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> wf: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;

@compute @workgroup_size(256)
fn conv2d_flip_weight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = gid.x + gid.y * nwg.x * 256u;
    if (j >= p.cout * p.cin * p.kk) { return; }
    let tap = j % p.kk;
    let o = (j / p.kk) % p.cout;
    let i = j / (p.kk * p.cout);
    wf[j] = w[(o * p.cin + i) * p.kk + (p.kk - 1u - tap)];
}
