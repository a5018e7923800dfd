mod common;
use common::*;
use sralign::ops::attention::{self, reference, AttentionKernel};
use sralign::ops::matmul::MatmulKernel;
use sralign::Tensor;

/// One test geometry: `heads` x `hd` per token, window `win` on `batch` maps of h x w.
#[derive(Clone, Copy, Debug)]
struct Case {
    heads: usize,
    hd: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
    batch: usize,
}

impl Case {
    fn windows(&self) -> usize {
        self.batch * (self.h / self.win) * (self.w / self.win)
    }
    fn n(&self) -> usize {
        self.win * self.win
    }
    fn c(&self) -> usize {
        self.heads * self.hd
    }
    fn span(&self) -> usize {
        2 * self.win - 1
    }
}

/// True when the fused kernels run this case here; otherwise says why on a SKIPPED line.
fn fused_or_skip(gpu: &sralign::Gpu, k: &Case, what: &str) -> bool {
    let qkv = Tensor::zeros(gpu, &[k.windows(), k.n(), 3 * k.c()]).unwrap();
    let table = Tensor::zeros(gpu, &[k.span() * k.span(), k.heads]).unwrap();
    match attention::fused_unsupported(&qkv, &table, k.heads, k.win, k.shift, k.h, k.w).unwrap() {
        None => true,
        Some(why) => {
            let s = gpu.summary();
            note(&format!(
                "SKIPPED {what}: {why} ({}, {})",
                s.name, s.backend
            ));
            false
        }
    }
}

/// check_op (forward and both gradients vs the f64 reference, finite differences through the
/// tape) on one implementation.
fn check_case(k: Case, kernel: AttentionKernel, what: &str) {
    check_op(
        what,
        &[
            input_init(&[k.windows(), k.n(), 3 * k.c()], Init::Uniform(-1.5, 1.5)),
            input_init(&[k.span() * k.span(), k.heads], Init::Uniform(-0.5, 0.5)),
        ],
        F32_LOOSE,
        |t| {
            attention::window_attention_with(
                &t[0], &t[1], k.heads, k.win, k.shift, k.h, k.w, kernel,
            )
        },
        |x| {
            reference::window_attention(
                &x[0],
                &x[1],
                k.windows(),
                k.heads,
                k.win,
                k.shift,
                k.h,
                k.w,
            )
        },
    );
}

/// 2 heads x head_dim 3 (C = 6), window 4 on an 8 x 12 map, batch 2: 12 windows of 16 tokens.
fn small(shift: usize) -> Case {
    Case {
        heads: 2,
        hd: 3,
        win: 4,
        shift,
        h: 8,
        w: 12,
        batch: 2,
    }
}

fn check(shift: usize) {
    let k = small(shift);
    // The products run on matmul's kernels: check both.
    for kern in [MatmulKernel::Texture, MatmulKernel::Buffer] {
        let what = format!("window_attention shift {shift} {kern:?}");
        if kern == MatmulKernel::Texture && !texture_kernels_or_skip(&gpu(), &what) {
            continue;
        }
        check_case(k, AttentionKernel::Products(kern), &what);
    }
}

fn check_fused(k: Case) {
    let what = format!("window_attention fused {k:?}");
    if fused_or_skip(&gpu(), &k, &what) {
        check_case(k, AttentionKernel::Fused, &what);
    }
}

#[test]
fn fused_no_shift() {
    check_fused(small(0));
}

#[test]
fn fused_shift_2() {
    check_fused(small(2));
}

#[test]
fn fused_odd_head_dim_three_heads() {
    // head_dim 5: the second texel of each head half padding.
    check_fused(Case {
        heads: 3,
        hd: 5,
        win: 4,
        shift: 2,
        h: 8,
        w: 8,
        batch: 2,
    });
}

#[test]
fn fused_window_6_partial_key_blocks() {
    // n = 36: the last block of 8 keys is half past n; 2 window rows and columns, shift 3.
    check_fused(Case {
        heads: 2,
        hd: 7,
        win: 6,
        shift: 3,
        h: 12,
        w: 12,
        batch: 1,
    });
}

#[test]
fn fused_swinir_window_8_head_dim_30() {
    // SwinIR classical's head: window 8 (n = 64, two row blocks of 32), head_dim 30, shifted.
    check_fused(Case {
        heads: 2,
        hd: 30,
        win: 8,
        shift: 4,
        h: 16,
        w: 16,
        batch: 1,
    });
}

#[test]
fn window_7_and_wide_heads_fall_back_to_products() {
    let gpu = gpu();
    for (k, what) in [
        (
            Case {
                heads: 1,
                hd: 4,
                win: 7,
                shift: 3,
                h: 14,
                w: 7,
                batch: 1,
            },
            "n = 49",
        ),
        (
            Case {
                heads: 1,
                hd: 33,
                win: 4,
                shift: 0,
                h: 4,
                w: 4,
                batch: 1,
            },
            "head_dim 33",
        ),
    ] {
        assert!(
            !fused_or_skip(&gpu, &k, &format!("(expected) fused {what}")),
            "{what} should not run fused"
        );
        // Auto runs it (on the products) and matches the reference.
        check_case(
            k,
            AttentionKernel::Auto,
            &format!("window_attention auto {what}"),
        );
    }
}

/// Forward output and both gradients of one implementation for a fixed dout.
fn run_all(k: &Case, kernel: AttentionKernel, gpu: &sralign::Gpu) -> Vec<Vec<f32>> {
    let v = |len: usize, m: usize| -> Vec<f32> {
        (0..len)
            .map(|i| (((i * m + 5) % 31) as f32) / 15.0 - 1.0)
            .collect()
    };
    let (windows, n, c, span) = (k.windows(), k.n(), k.c(), k.span());
    let qkv = Tensor::from_slice(gpu, &[windows, n, 3 * c], &v(windows * n * 3 * c, 37)).unwrap();
    let table =
        Tensor::from_slice(gpu, &[span * span, k.heads], &v(span * span * k.heads, 7)).unwrap();
    let dout = Tensor::from_slice(gpu, &[windows, n, c], &v(windows * n * c, 13)).unwrap();
    let (out, saved) = attention::window_attention_forward(
        &qkv, &table, k.heads, k.win, k.shift, k.h, k.w, kernel,
    )
    .unwrap();
    let (dq, dt) = attention::window_attention_backward(
        &dout, &qkv, &table, &saved, k.heads, k.win, k.shift, k.h, k.w,
    )
    .unwrap();
    let mut all: Vec<Vec<f32>> = [out, dq, dt].iter().map(|t| t.to_vec().unwrap()).collect();
    if let Some(p) = saved.probs() {
        all.push(p.to_vec().unwrap());
    }
    all
}

#[test]
fn fused_and_products_agree() {
    let gpu = gpu();
    for k in [
        small(0),
        small(2),
        Case {
            heads: 3,
            hd: 30,
            win: 8,
            shift: 4,
            h: 16,
            w: 24,
            batch: 2,
        },
        // 40 windows: the fused backward's chunks of 16 windows, the last one partial.
        Case {
            heads: 2,
            hd: 10,
            win: 4,
            shift: 2,
            h: 16,
            w: 20,
            batch: 2,
        },
    ] {
        if !fused_or_skip(&gpu, &k, &format!("fused vs products {k:?}")) {
            continue;
        }
        let a = run_all(&k, AttentionKernel::Fused, &gpu);
        let b = run_all(&k, AttentionKernel::Products(MatmulKernel::Auto), &gpu);
        for (i, name) in ["out", "dqkv", "dtable"].iter().enumerate() {
            let size = b[i].iter().fold(0f32, |m, x| m.max(x.abs()));
            let worst = a[i]
                .iter()
                .zip(&b[i])
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max);
            assert!(
                worst <= 1e-4 * size.max(1.0),
                "{k:?} {name}: fused and products differ by {worst} (size {size})"
            );
        }
    }
}

#[test]
fn fused_is_deterministic_and_auto_picks_it() {
    let gpu = gpu();
    let k = small(2);
    if !fused_or_skip(&gpu, &k, "fused determinism") {
        return;
    }
    let a = run_all(&k, AttentionKernel::Fused, &gpu);
    assert_eq!(a, run_all(&k, AttentionKernel::Fused, &gpu));
    assert_eq!(
        a,
        run_all(&k, AttentionKernel::Auto, &gpu),
        "Auto is the fused path here"
    );
}

#[test]
fn window_attention_no_shift() {
    check(0);
}

#[test]
fn window_attention_shift_2() {
    check(2);
}

#[test]
fn shift_mask_matches_swinir_regions() {
    // 8x8 map, window 4, shift 2: the last window (bottom right) mixes 4 regions.
    let m = reference::shift_mask(8, 8, 4, 2);
    let n = 16;
    assert!(
        m[..n * n].iter().all(|v| *v == 0.0),
        "top-left window is unmasked"
    );
    let last = &m[3 * n * n..];
    assert_eq!(last[0], 0.0);
    assert_eq!(last[2], -100.0); // token (0,0) vs (0,2): regions 1 and 2 along x
    assert_eq!(last[8 * n], -100.0); // token (2,0) vs (0,0)
}

#[test]
fn backward_is_deterministic() {
    let gpu = gpu();
    let (heads, win, h, w) = (2, 4, 8, 8);
    let (windows, n, c) = (4, 16, 6);
    let qv: Vec<f32> = (0..windows * n * 3 * c)
        .map(|i| ((i * 37 % 29) as f32) / 14.0 - 1.0)
        .collect();
    let tv: Vec<f32> = (0..49 * heads)
        .map(|i| ((i * 7 % 11) as f32) / 10.0)
        .collect();
    let dv: Vec<f32> = (0..windows * n * c)
        .map(|i| ((i * 13 % 17) as f32) / 8.0 - 1.0)
        .collect();
    let qkv = Tensor::from_slice(&gpu, &[windows, n, 3 * c], &qv).unwrap();
    let table = Tensor::from_slice(&gpu, &[49, heads], &tv).unwrap();
    let dout = Tensor::from_slice(&gpu, &[windows, n, c], &dv).unwrap();
    let run = || {
        let (_, saved) = attention::window_attention_forward(
            &qkv,
            &table,
            heads,
            win,
            2,
            h,
            w,
            AttentionKernel::Products(MatmulKernel::Auto),
        )
        .unwrap();
        let (dq, dt) =
            attention::window_attention_backward(&dout, &qkv, &table, &saved, heads, win, 2, h, w)
                .unwrap();
        (dq.to_vec().unwrap(), dt.to_vec().unwrap())
    };
    assert_eq!(run(), run());
}

#[test]
fn bad_shapes_are_typed_errors() {
    let gpu = gpu();
    let qkv = Tensor::zeros(&gpu, &[4, 16, 18]).unwrap();
    let table = Tensor::zeros(&gpu, &[49, 2]).unwrap();
    let e = attention::window_attention(&qkv, &table, 4, 4, 0, 8, 8)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("window_attention") && e.contains("[4, 16, 18]"),
        "{e}"
    );
    let e = attention::window_attention(&qkv, &table, 2, 4, 0, 8, 6)
        .unwrap_err()
        .to_string();
    assert!(e.contains("window_attention") && e.contains("8x6"), "{e}");
    let e = attention::window_attention(&qkv, &table, 2, 4, 4, 8, 8)
        .unwrap_err()
        .to_string();
    assert!(e.contains("shift"), "{e}");
    let bad_table = Tensor::zeros(&gpu, &[36, 2]).unwrap();
    let e = attention::window_attention(&qkv, &bad_table, 2, 4, 0, 8, 8)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("window_attention") && e.contains("[36, 2]"),
        "{e}"
    );
    let e = attention::window_attention(&qkv, &table, 2, 4, 0, 8, 12)
        .unwrap_err()
        .to_string();
    assert!(e.contains("windows"), "{e}");
}

#[test]
fn split_launches_match_unsplit() {
    // A 4 KiB limit (1024 floats): qkv (3456), probabilities and dS (6144) and the outputs
    // all exceed it; every launch splits, results bit-identical, both matmul kernels.
    let limited = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    let full = gpu();
    for kern in [MatmulKernel::Texture, MatmulKernel::Buffer] {
        if kern == MatmulKernel::Texture
            && !texture_kernels_or_skip(&full, "attention split launches (Texture)")
        {
            continue;
        }
        let k = small(2);
        let (a, b) = (
            run_all(&k, AttentionKernel::Products(kern), &full),
            run_all(&k, AttentionKernel::Products(kern), &limited),
        );
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x, y, "{kern:?} output {i} differs when split");
        }
    }
}

/// Attention's products on matmul's texture kernel at 4-lane subgroups (not chosen: skipped,
/// named), at 8 and 16, on the buffer kernel on GL, everything under WebGPU's default limits.
#[test]
fn child_runs_other_lane_widths_backends_and_limits() {
    run_children(&[
        Child::Lanes4,
        Child::Lanes8,
        Child::Lanes16,
        Child::Gl,
        Child::DefaultLimits,
    ]);
}

#[test]
fn auto_picks_fused_kernels_on_cpu_adapters_only() {
    use attention::auto_kernel;
    // (is_cpu, the fused kernels can run this shape here)
    assert_eq!(auto_kernel(true, true), AttentionKernel::Fused);
    assert_eq!(
        auto_kernel(true, false),
        AttentionKernel::Products(MatmulKernel::Auto)
    );
    assert_eq!(
        auto_kernel(false, true),
        AttentionKernel::Products(MatmulKernel::Auto)
    );
    assert_eq!(
        auto_kernel(false, false),
        AttentionKernel::Products(MatmulKernel::Auto)
    );
}
