//! Optimisers against f64 references of several steps (PyTorch formulas), bit-identical
//! repeats, and state export / import (checkpoint resume continues bit-identically).
mod common;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::autograd::{self, Grads};
use sralign::ops::optim::{reference, Adam, Ema, OptimState, Sgd};
use sralign::ops::{binary, reduce};
use sralign::{Gpu, Tensor};

/// Several f32 steps of an elementwise update: the error stays within a few ulps of the
/// values, relative to the parameters' size (~1).
const TOL: (f64, f64) = (2e-6, 2e-5);
const SHAPES: [&[usize]; 3] = [&[4, 3, 3, 3], &[4], &[7, 5]];
const STEPS: usize = 5;

struct Case {
    init: Vec<Vec<f32>>,
    /// grads[step][param]
    grads: Vec<Vec<Vec<f32>>>,
}

fn case(seed: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut vals = |n: usize| {
        (0..n)
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect::<Vec<_>>()
    };
    let init = SHAPES.iter().map(|s| vals(s.iter().product())).collect();
    let grads = (0..STEPS)
        .map(|_| SHAPES.iter().map(|s| vals(s.iter().product())).collect())
        .collect();
    Case { init, grads }
}

/// Parameters (plus one more that gets no gradient).
fn params(gpu: &Gpu, c: &Case) -> Vec<Tensor> {
    let mut ps: Vec<Tensor> = SHAPES
        .iter()
        .zip(&c.init)
        .map(|(s, v)| Tensor::from_slice(gpu, s, v).unwrap())
        .collect();
    ps.push(Tensor::from_slice(gpu, &[3], &[1.0, 2.0, 3.0]).unwrap());
    for p in &ps {
        p.set_requires_grad(true);
    }
    ps
}

/// Gradients equal to `gs` exactly: d/dp sum(p * g) = g.
fn grads(gpu: &Gpu, ps: &[Tensor], gs: &[Vec<f32>]) -> Grads {
    let mut loss: Option<Tensor> = None;
    for (p, g) in ps.iter().zip(gs) {
        let gt = Tensor::from_slice(gpu, p.shape(), g).unwrap();
        let l = reduce::sum(&binary::mul(p, &gt).unwrap()).unwrap();
        loss = Some(match loss {
            Some(prev) => binary::add(&prev, &l).unwrap(),
            None => l,
        });
    }
    autograd::backward(&loss.unwrap()).unwrap()
}

fn assert_close(what: &str, got: &[f32], want: &[f64]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let e = (*g as f64 - w).abs();
        assert!(e <= TOL.0 + TOL.1 * w.abs(), "{what}[{i}]: {g} vs {w}");
    }
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| *x as f64).collect()
}

fn read_all(ps: &[Tensor]) -> Vec<Vec<f32>> {
    ps.iter().map(|p| p.to_vec().unwrap()).collect()
}

/// Runs `step` for steps `from..to` on the GPU.
fn run(
    gpu: &Gpu,
    c: &Case,
    ps: &[Tensor],
    range: std::ops::Range<usize>,
    mut step: impl FnMut(usize, &[Tensor], &Grads),
) {
    for t in range {
        let g = grads(gpu, ps, &c.grads[t]);
        step(t, ps, &g);
    }
}

fn lr_at(t: usize) -> f32 {
    // a scheduler: the lr changes every step
    1e-2 * 0.7f32.powi(t as i32)
}

#[test]
fn sgd_matches_reference() {
    let gpu = gpu();
    let c = case(1);
    for (momentum, wd) in [(0.9f32, 1e-2f32), (0.0, 0.0)] {
        let ps = params(&gpu, &c);
        let mut opt = Sgd::new(0.1, momentum, wd);
        run(&gpu, &c, &ps, 0..STEPS, |t, ps, g| {
            opt.lr = lr_at(t) * 10.0;
            opt.step(ps, g).unwrap()
        });
        for (k, p) in ps.iter().take(SHAPES.len()).enumerate() {
            let mut w = to64(&c.init[k]);
            let mut buf = vec![0.0; w.len()];
            for t in 0..STEPS {
                let lr = (lr_at(t) * 10.0) as f64;
                reference::sgd(
                    &mut w,
                    &to64(&c.grads[t][k]),
                    &mut buf,
                    lr,
                    momentum as f64,
                    wd as f64,
                );
            }
            assert_close(
                &format!("sgd m={momentum} param {k}"),
                &p.to_vec().unwrap(),
                &w,
            );
        }
        assert_eq!(
            ps[3].to_vec().unwrap(),
            vec![1.0, 2.0, 3.0],
            "no grad, no update"
        );
    }
}

#[test]
fn adam_and_adamw_match_reference() {
    let gpu = gpu();
    let c = case(2);
    for decoupled in [false, true] {
        let ps = params(&gpu, &c);
        let mut opt = Adam::new(1e-2, 0.9, 0.99);
        opt.weight_decay = 0.05;
        opt.decoupled = decoupled;
        run(&gpu, &c, &ps, 0..STEPS, |t, ps, g| {
            opt.lr = lr_at(t);
            opt.step(ps, g).unwrap()
        });
        assert_eq!(opt.steps(), STEPS as u64);
        for (k, p) in ps.iter().take(SHAPES.len()).enumerate() {
            let mut w = to64(&c.init[k]);
            let (mut m, mut v) = (vec![0.0; w.len()], vec![0.0; w.len()]);
            for t in 0..STEPS {
                let hp = (
                    lr_at(t) as f64,
                    0.9f32 as f64,
                    0.99f32 as f64,
                    1e-8f32 as f64,
                    0.05f32 as f64,
                );
                reference::adam(
                    &mut w,
                    &to64(&c.grads[t][k]),
                    &mut m,
                    &mut v,
                    t as u64 + 1,
                    hp,
                    decoupled,
                );
            }
            assert_close(
                &format!("adam decoupled={decoupled} param {k}"),
                &p.to_vec().unwrap(),
                &w,
            );
        }
        assert_eq!(
            ps[3].to_vec().unwrap(),
            vec![1.0, 2.0, 3.0],
            "no grad, no update"
        );
    }
}

#[test]
fn ema_matches_reference() {
    let gpu = gpu();
    let c = case(3);
    let ps = params(&gpu, &c);
    let mut opt = Adam::new(1e-2, 0.9, 0.99);
    let mut ema = Ema::new(0.9);
    ema.update(&ps).unwrap();
    let mut want: Vec<Vec<f64>> = c.init.iter().map(|v| to64(v)).collect();
    for t in 0..STEPS {
        let g = grads(&gpu, &ps, &c.grads[t]);
        opt.step(&ps, &g).unwrap();
        ema.update(&ps).unwrap();
        for (k, w) in want.iter_mut().enumerate() {
            reference::ema(w, &to64(&ps[k].to_vec().unwrap()), 0.9f32 as f64);
        }
    }
    for (k, w) in want.iter().enumerate() {
        assert_close(
            &format!("ema param {k}"),
            &ema.get(&ps[k]).unwrap().to_vec().unwrap(),
            w,
        );
    }
}

fn adam_run(gpu: &Gpu, c: &Case, split: Option<usize>) -> (Vec<Vec<f32>>, OptimState) {
    let ps = params(gpu, c);
    let mut opt = Adam::adamw(1e-2, 0.9, 0.99, 0.01);
    let mut ema = Ema::new(0.999);
    let first = split.unwrap_or(STEPS);
    run(gpu, c, &ps, 0..first, |_, ps, g| {
        opt.step(ps, g).unwrap();
        ema.update(ps).unwrap();
    });
    if split.is_some() {
        // Resume into fresh tensors (new ids) and fresh optimisers from exported host state.
        let (st, est, host) = (
            opt.export_state(&ps).unwrap(),
            ema.export_state(&ps).unwrap(),
            read_all(&ps),
        );
        let ps2: Vec<Tensor> = ps
            .iter()
            .zip(&host)
            .map(|(p, v)| Tensor::from_slice(gpu, p.shape(), v).unwrap())
            .collect();
        for p in &ps2 {
            p.set_requires_grad(true);
        }
        let mut opt2 = Adam::adamw(1e-2, 0.9, 0.99, 0.01);
        opt2.import_state(&ps2, &st).unwrap();
        let mut ema2 = Ema::new(0.999);
        ema2.import_state(&ps2, &est).unwrap();
        run(gpu, c, &ps2, first..STEPS, |_, ps, g| {
            opt2.step(ps, g).unwrap();
            ema2.update(ps).unwrap();
        });
        let mut out = read_all(&ps2);
        out.extend(ps2.iter().map(|p| ema2.get(p).unwrap().to_vec().unwrap()));
        return (out, opt2.export_state(&ps2).unwrap());
    }
    let mut out = read_all(&ps);
    out.extend(ps.iter().map(|p| ema.get(p).unwrap().to_vec().unwrap()));
    (out, opt.export_state(&ps).unwrap())
}

#[test]
fn repeat_runs_and_resume_are_bit_identical() {
    let gpu = gpu();
    let c = case(4);
    let bits = |v: &[Vec<f32>]| -> Vec<Vec<u32>> {
        v.iter()
            .map(|x| x.iter().map(|f| f.to_bits()).collect())
            .collect()
    };
    let (a, sa) = adam_run(&gpu, &c, None);
    let (b, sb) = adam_run(&gpu, &c, None);
    assert_eq!(bits(&a), bits(&b), "repeat run differs");
    assert_eq!(sa, sb);
    let (r, sr) = adam_run(&gpu, &c, Some(2));
    assert_eq!(bits(&a), bits(&r), "resume differs");
    assert_eq!(sa, sr);
    // The parameter without a gradient has no optimiser state.
    assert_eq!(sa.step, STEPS as u64);
    assert_eq!(sa.tensors.len(), 2 * SHAPES.len());
    assert!(sa.tensors.iter().all(|(k, _)| !k.starts_with("3.")));
}

#[test]
fn bad_state_and_grad_shapes_are_typed_errors() {
    let gpu = gpu();
    let p = Tensor::zeros(&gpu, &[4]).unwrap();
    let mut opt = Adam::new(1e-3, 0.9, 0.999);
    let st = OptimState {
        step: 1,
        tensors: vec![
            ("0.exp_avg".into(), vec![0.0; 3]),
            ("0.exp_avg_sq".into(), vec![0.0; 3]),
        ],
    };
    let e = opt
        .import_state(std::slice::from_ref(&p), &st)
        .unwrap_err()
        .to_string();
    assert!(e.contains("adam_import_state") && e.contains("[4]"), "{e}");
    let st = OptimState {
        step: 1,
        tensors: vec![("0.exp_avg".into(), vec![0.0; 4])],
    };
    let e = opt.import_state(&[p], &st).unwrap_err().to_string();
    assert!(e.contains("incomplete"), "{e}");
}
