//! Dispatches per training step (forward, L1, backward, Adam) of every standard model, on a
//! small image (the count does not depend on the image size while every launch fits in one
//! binding, except linear weight gradients, which split along k into launches of ~1.5 MB of
//! operand rows on the texture kernel: SwinIR's step has more at the bench's 48 x 48), each
//! under a bound that only ever moves down, and RRDBNet's targets: at most
//! 3,000 dispatches, and no concatenation in its profile (its dense convs read their parts
//! directly, ops/conv2d_multi.rs). A step after the first two creates no bind group: the
//! pools hand a step the same buffers every step (gpu/pool.rs), so the recorder's cache hits.
//! And the convolution FLOPs a step declares, against SRResNet's architecture.
mod common;
use common::*;
use sralign::models::{self, Arch, ModelConfig};
use sralign::ops::{loss, optim};
use sralign::{autograd, Tensor};

#[test]
fn standard_models_dispatches_per_step_and_rrdbnet_has_no_concat() {
    let gpu = gpu();
    if !texture_kernels_or_skip(
        &gpu,
        "dispatches per step (counts are for the texture path)",
    ) {
        return;
    }
    for arch in [Arch::SrResNet, Arch::RrdbNet, Arch::Msrn, Arch::SwinIr] {
        let m = models::build(&gpu, &ModelConfig::standard(arch), 0).unwrap();
        let s = m.scale();
        let side = 8;
        let x = Tensor::full(&gpu, &[1, 3, side, side], 0.5).unwrap();
        let y = Tensor::full(&gpu, &[1, 3, side * s, side * s], 0.25).unwrap();
        let params = m.params().tensors();
        let mut adam = optim::Adam::new(1e-4, 0.9, 0.99);
        let mut step = || {
            let out = m.forward(&x).unwrap().out;
            let l = loss::l1(&out, &y).unwrap();
            let g = autograd::backward(&l).unwrap();
            adam.step(&params, &g).unwrap();
            gpu.sync().unwrap();
        };
        step();
        let d0 = gpu.dispatch_count();
        step();
        let per_step = gpu.dispatch_count() - d0;
        note(&format!(
            "{arch:?} standard: {per_step} dispatches per training step"
        ));
        // Every conv through conv2d_multi (activations fused, concatenations never written)
        // except single-part convs where plain conv2d's Small variant, or Winograd on a
        // widening conv, is faster (ops/conv2d_multi.rs `fused_path`); linear layers'
        // operand copies and attention's qkv copies are copies, not dispatches. SRResNet's
        // 64 -> 64 convs (32 in the body, conv_hr) and MSRN's 9 run the fused Winograd path on
        // a CPU adapter: 2 dispatches more each than the fused texture path (323 and 426
        // before), for ~20% less kernel time; RRDBNet keeps its 64 -> 64 convs on the texture
        // path (its budget). SwinIR: 1783 -> 1495 when its 144 linear layers' db moved into
        // dW's launches (2 column-sum dispatches each), then 1495 -> 1511 when Winograd's
        // range grew to 192 channels (its 8 convs of 180 input channels: 2 dispatches each).
        // Winograd's input gradient stores onto a held gradient itself (no split-and-sum
        // pass): SRResNet 389 -> 373 and MSRN 444 -> 436 (their blocks' first convs, whose
        // input is also the residual), and RRDBNet's dense convs of 96-192 input channels
        // took Winograd's input gradient at no dispatch more (its V transform in place of
        // that pass). Winograd's input transform in the weights' dispatch: SRResNet 373 ->
        // 340, MSRN 436 -> 427, SwinIR 1511 -> 1503; RRDBNet's dense convs then took
        // Winograd's forward (their features transformed once each, ops::conv2d_multi
        // `FeatureStack`) at no dispatch more.
        let bound = match arch {
            Arch::SrResNet => 340,
            Arch::RrdbNet => 2990,
            Arch::Msrn => 427,
            Arch::SwinIr => 1503,
        };
        assert!(
            per_step <= bound,
            "{arch:?}: {per_step} dispatches per step, more than {bound}"
        );
        let g0 = gpu.bind_groups_created();
        step();
        let created = gpu.bind_groups_created() - g0;
        note(&format!(
            "{arch:?} standard: third step created {created} bind groups"
        ));
        assert_eq!(
            created, 0,
            "{arch:?}: the third step created {created} bind groups (buffers not reused alike)"
        );
        if arch != Arch::RrdbNet {
            continue;
        }
        if gpu.set_profiling(true).is_err() {
            note("SKIPPED RRDBNet profile: no timestamp queries inside passes");
            continue;
        }
        step();
        let mut rows = gpu.take_profile().unwrap();
        gpu.set_profiling(false).unwrap();
        rows.sort_by_key(|r| std::cmp::Reverse(r.2));
        for r in rows.iter().take(12) {
            note(&format!("  {:<50} {:>6} dispatches", r.0, r.2));
        }
        assert!(per_step <= 3000, "RRDBNet: {per_step} dispatches per step");
        let concat: Vec<_> = rows.iter().filter(|r| r.0.contains("concat")).collect();
        assert!(concat.is_empty(), "RRDBNet's profile has {concat:?}");
        assert_eq!(rows.iter().map(|r| r.2).sum::<u64>(), per_step);
    }
}

/// The convolution FLOPs a training step declares (`Gpu::count_flops`, which `sralign bench
/// --models` turns into a step's conv GFLOP/s) equal SRResNet's architecture counted by hand:
/// each conv's forward, input gradient (not for conv_first: the image needs none) and weight
/// gradient, 2 N H W Cin Cout 9 each, whichever variant or fused path runs them.
#[test]
fn srresnet_step_declares_its_convolution_flops() {
    let gpu = gpu();
    for (cfg, n, side) in [
        (ModelConfig::standard(Arch::SrResNet), 1, 8),
        (ModelConfig::tiny(Arch::SrResNet), 2, 12),
    ] {
        let m = models::build(&gpu, &cfg, 0).unwrap();
        let ModelConfig::SrResNet(c) = &cfg else {
            unreachable!()
        };
        let (f, blocks) = (c.num_feat, c.num_block);
        let x = Tensor::full(&gpu, &[n, 3, side, side], 0.5).unwrap();
        let y = Tensor::full(&gpu, &[n, 3, side * 4, side * 4], 0.25).unwrap();
        let f0 = gpu.flop_count();
        let out = m.forward(&x).unwrap().out;
        let l = loss::l1(&out, &y).unwrap();
        autograd::backward(&l).unwrap();
        gpu.sync().unwrap();
        let got = gpu.flop_count() - f0;
        let conv = |s: usize, cin: usize, cout: usize| 2.0 * (n * s * s * cin * cout * 9) as f64;
        let first = conv(side, 3, f);
        let rest = blocks as f64 * 2.0 * conv(side, f, f)
            + conv(side, f, 4 * f)
            + conv(2 * side, f, 4 * f)
            + conv(4 * side, f, f)
            + conv(4 * side, f, 3);
        let want = 2.0 * first + 3.0 * rest;
        note(&format!(
            "SRResNet {f}/{blocks}: {got:.0} conv FLOPs per step, {want:.0} by hand"
        ));
        assert_eq!(got, want, "SRResNet {f}/{blocks}: declared conv FLOPs");
    }
}
