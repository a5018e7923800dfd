// C[layer] = alpha A B (+ bias on columns) straight from storage buffers, for adapters
// without subgroups. Every operand is a strided view (transposes and attention's head slices
// need no copy); with (lo, li) = (layer / lh, layer % lh):
// A(m, k) = a[aoff + lo * alo + li * ali + m * sam + k * sak], B likewise with (k, n),
// C(m, n) = c[coff + lo * co + li * ci + m * cm + n].
// Split products (bindings over the storage limit): layers start at l0, the bias at column
// bias_off; k chunks after the first continue from C's raw sums (`accumulate`), the last applies
// alpha and the bias (`finalize`): bit-identical to one launch.
// A workgroup of 16 x 16 lanes computes a 64 x 64 tile; each lane a 4 x 4 block (rows
// ty + 16 i, columns tx + 16 j) from 64 x 8 slices of A and B staged in workgroup memory.
struct Params { m: u32, n: u32, k: u32, sam: u32, sak: u32, sbk: u32, sbn: u32, has_bias: u32,
                lh: u32, aoff: u32, alo: u32, ali: u32, boff: u32, blo: u32, bli: u32,
                coff: u32, co: u32, ci: u32, cm: u32, alpha: f32, l0: u32, bias_off: u32,
                accumulate: u32, finalize: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const TILE: u32 = 64u;
const TK: u32 = 8u;
var<workgroup> sa: array<f32, 512>; // [TK][TILE]: sa[kk * 64 + mm]
var<workgroup> sb: array<f32, 512>; // [TK][TILE]: sb[kk * 64 + nn]

@compute @workgroup_size(16, 16)
fn matmul_buf(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let n0 = wid.x * TILE;
    let m0 = wid.y * TILE;
    let layer = p.l0 + wid.z;
    let lo = layer / p.lh;
    let li = layer % p.lh;
    let abase = p.aoff + lo * p.alo + li * p.ali;
    let bbase = p.boff + lo * p.blo + li * p.bli;
    let cbase = p.coff + lo * p.co + li * p.ci;
    let lin = lid.y * 16u + lid.x;
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
        let m = m0 + lid.y + 16u * i;
        if (p.accumulate != 0u && m < p.m) {
            for (var j = 0u; j < 4u; j++) {
                let n = n0 + lid.x + 16u * j;
                if (n < p.n) { acc[i][j] = c[cbase + m * p.cm + n]; }
            }
        }
    }
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        for (var e = 0u; e < 2u; e++) {
            let s = lin + e * 256u;
            let kk = s / TILE;
            let mm = s % TILE;
            var va = 0.0;
            if (m0 + mm < p.m && k0 + kk < p.k) {
                va = a[abase + (m0 + mm) * p.sam + (k0 + kk) * p.sak];
            }
            sa[s] = va;
            var vb = 0.0;
            if (n0 + mm < p.n && k0 + kk < p.k) {
                vb = b[bbase + (k0 + kk) * p.sbk + (n0 + mm) * p.sbn];
            }
            sb[s] = vb;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let bv = vec4<f32>(sb[kk * 64u + lid.x], sb[kk * 64u + lid.x + 16u],
                               sb[kk * 64u + lid.x + 32u], sb[kk * 64u + lid.x + 48u]);
            for (var i = 0u; i < 4u; i++) {
                acc[i] = fma(vec4<f32>(sa[kk * 64u + lid.y + 16u * i]), bv, acc[i]);
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let m = m0 + lid.y + 16u * i;
        if (m < p.m) {
            for (var j = 0u; j < 4u; j++) {
                let n = n0 + lid.x + 16u * j;
                if (n < p.n) {
                    var v = acc[i][j];
                    if (p.finalize != 0u) {
                        v *= p.alpha;
                        if (p.has_bias != 0u) { v += bias[p.bias_off + n]; }
                    }
                    c[cbase + m * p.cm + n] = v;
                }
            }
        }
    }
}
