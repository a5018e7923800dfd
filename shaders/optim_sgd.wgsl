// SGD step in place (torch.optim.SGD, dampening 0, no Nesterov):
//   d = g + wd * w;  with momentum: buf = momentum * buf + d, d = buf;  w = w - lr * d.
// A zeroed buf gives torch's first step (buf = d) exactly. Without momentum `buf` is a small
// placeholder that is never touched. Four elements per lane (ops::binary::Map).
struct Params { n: u32, offset: u32, lr: f32, momentum: f32, wd: f32, use_momentum: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> buf: array<vec4<f32>>;

@compute @workgroup_size(256)
fn sgd_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i < p.n) {
        let wi = w[i];
        var d = g[i] + p.wd * wi;
        if (p.use_momentum != 0u) {
            d = p.momentum * buf[i] + d;
            buf[i] = d;
        }
        w[i] = wi + (-p.lr) * d;
    }
}
