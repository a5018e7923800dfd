// covariance_partial.wgsl with 4 positions per load: the same partial products, for
// len % 4 == 0 and chunk % 4 == 0 (a and b bound as vec4 arrays). Per 4 positions a lane loads
// 4 + 4 vec4s and does 16 dot products (64 multiply-adds): a quarter of the scalar kernel's loads.
// Split launches (tensors larger than one storage binding): units u = n * tiles + tile in
// u0..u1 (grid x + z folded), and part / a / b / ma / mb bound from elements bp, ba, bb, bma,
// bmb (multiples of 4).
struct Params { ra: u32, rb: u32, len: u32, chunk: u32, chunks: u32, tiles_j: u32, center: u32, sym: u32,
                u0: u32, u1: u32, tiles: u32, bp: u32, ba: u32, bb: u32, bma: u32, bmb: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> part: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> ma: array<f32>;
@group(0) @binding(5) var<storage, read> mb: array<f32>;

@compute @workgroup_size(8, 8)
fn covariance_partial_vec4(@builtin(local_invocation_id) lid: vec3<u32>,
                           @builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>) {
    let u = wid.x + wid.z * nwg.x + p.u0;
    if (u >= p.u1) {
        return;
    }
    let t = u % p.tiles;
    let ti = t / p.tiles_j;
    let tj = t % p.tiles_j;
    if (p.sym != 0u && ti > tj) {
        return;
    }
    let n = u / p.tiles;
    let s = wid.y;
    let i0 = ti * 32u + lid.x * 4u;
    let j0 = tj * 32u + lid.y * 4u;
    let ia = vec4<u32>(min(i0, p.ra - 1u), min(i0 + 1u, p.ra - 1u), min(i0 + 2u, p.ra - 1u), min(i0 + 3u, p.ra - 1u));
    let jb = vec4<u32>(min(j0, p.rb - 1u), min(j0 + 1u, p.rb - 1u), min(j0 + 2u, p.rb - 1u), min(j0 + 3u, p.rb - 1u));
    var mav = vec4<f32>(0.0);
    var mbv = vec4<f32>(0.0);
    if (p.center != 0u) {
        mav = vec4<f32>(ma[n * p.ra + ia.x - p.bma], ma[n * p.ra + ia.y - p.bma], ma[n * p.ra + ia.z - p.bma], ma[n * p.ra + ia.w - p.bma]);
        mbv = vec4<f32>(mb[n * p.rb + jb.x - p.bmb], mb[n * p.rb + jb.y - p.bmb], mb[n * p.rb + jb.z - p.bmb], mb[n * p.rb + jb.w - p.bmb]);
    }
    let len4 = p.len / 4u;
    let abase = (vec4<u32>(n * p.ra) + ia) * len4 - vec4<u32>(p.ba / 4u);
    let bbase = (vec4<u32>(n * p.rb) + jb) * len4 - vec4<u32>(p.bb / 4u);
    let q0 = s * (p.chunk / 4u);
    let q1 = min(q0 + p.chunk / 4u, len4);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var q = q0; q < q1; q++) {
        let a0 = a[abase.x + q] - vec4<f32>(mav.x);
        let a1 = a[abase.y + q] - vec4<f32>(mav.y);
        let a2 = a[abase.z + q] - vec4<f32>(mav.z);
        let a3 = a[abase.w + q] - vec4<f32>(mav.w);
        let b0 = b[bbase.x + q] - vec4<f32>(mbv.x);
        let b1 = b[bbase.y + q] - vec4<f32>(mbv.y);
        let b2 = b[bbase.z + q] - vec4<f32>(mbv.z);
        let b3 = b[bbase.w + q] - vec4<f32>(mbv.w);
        acc0 += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
        acc1 += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
        acc2 += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
        acc3 += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
    }
    let obase = (n * p.chunks + s) * p.ra;
    let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var r = 0u; r < 4u; r++) {
        let i = i0 + r;
        if (i < p.ra) {
            let row = (obase + i) * p.rb;
            for (var c = 0u; c < 4u; c++) {
                if (j0 + c < p.rb) {
                    part[row + j0 + c - p.bp] = accs[r][c];
                }
            }
        }
    }
}
