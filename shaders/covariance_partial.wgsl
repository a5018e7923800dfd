// Partial products over chunks of positions, for covariances and weight gradients:
//   part[((n * S + s) * ra + i) * rb + j] = sum_{q in chunk s} (A[n,i,q] - ma[n,i]) (B[n,j,q] - mb[n,j])
// with A = a[(n * ra + i) * len + q], B = b[(n * rb + j) * len + q]; the mean terms only when
// p.center != 0 (ma/mb are then read; otherwise any buffer may be bound there). A second pass
// (covariance_reduce.wgsl) sums the chunks in index order: deterministic, no atomics.
// Register-blocked: each lane owns a 4x4 block of (i, j); a workgroup of 8x8 lanes a 32x32 tile.
// With p.sym != 0 (A == B) tiles below the diagonal are skipped; the reduce pass mirrors them.
// Grid: x = tile index (ti * tiles_j + tj), y = chunk s, z = n.
// Split launches (tensors larger than one storage binding): units u = n * tiles + tile in
// u0..u1 (grid x + z folded), and part / a / b / ma / mb bound from elements bp, ba, bb, bma,
// bmb (multiples of 4).
struct Params { ra: u32, rb: u32, len: u32, chunk: u32, chunks: u32, tiles_j: u32, center: u32, sym: u32,
                u0: u32, u1: u32, tiles: u32, bp: u32, ba: u32, bb: u32, bma: u32, bmb: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> part: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> ma: array<f32>;
@group(0) @binding(5) var<storage, read> mb: array<f32>;

@compute @workgroup_size(8, 8)
fn covariance_partial(@builtin(local_invocation_id) lid: vec3<u32>,
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
    // Rows past the end are clamped for loading and never written.
    let ia = vec4<u32>(min(i0, p.ra - 1u), min(i0 + 1u, p.ra - 1u), min(i0 + 2u, p.ra - 1u), min(i0 + 3u, p.ra - 1u));
    let jb = vec4<u32>(min(j0, p.rb - 1u), min(j0 + 1u, p.rb - 1u), min(j0 + 2u, p.rb - 1u), min(j0 + 3u, p.rb - 1u));
    var mav = vec4<f32>(0.0);
    var mbv = vec4<f32>(0.0);
    if (p.center != 0u) {
        mav = vec4<f32>(ma[n * p.ra + ia.x - p.bma], ma[n * p.ra + ia.y - p.bma], ma[n * p.ra + ia.z - p.bma], ma[n * p.ra + ia.w - p.bma]);
        mbv = vec4<f32>(mb[n * p.rb + jb.x - p.bmb], mb[n * p.rb + jb.y - p.bmb], mb[n * p.rb + jb.z - p.bmb], mb[n * p.rb + jb.w - p.bmb]);
    }
    let abase = (vec4<u32>(n * p.ra) + ia) * p.len - vec4<u32>(p.ba);
    let bbase = (vec4<u32>(n * p.rb) + jb) * p.len - vec4<u32>(p.bb);
    let q0 = s * p.chunk;
    let q1 = min(q0 + p.chunk, p.len);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var q = q0; q < q1; q++) {
        let av = vec4<f32>(a[abase.x + q], a[abase.y + q], a[abase.z + q], a[abase.w + q]) - mav;
        let bv = vec4<f32>(b[bbase.x + q], b[bbase.y + q], b[bbase.z + q], b[bbase.w + q]) - mbv;
        acc0 = fma(vec4<f32>(av.x), bv, acc0);
        acc1 = fma(vec4<f32>(av.y), bv, acc1);
        acc2 = fma(vec4<f32>(av.z), bv, acc2);
        acc3 = fma(vec4<f32>(av.w), bv, acc3);
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
