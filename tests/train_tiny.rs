//! A tiny conv net trained on a real photo: the loss falls, the buffer pool stops growing
//! after step 2, and two identical runs give bit-identical weights.
mod common;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::ops::{activation, binary, conv2d, loss, optim};
use sralign::{autograd, Gpu, Tensor};

const SIDE: usize = 24;

/// A SIDE x SIDE crop of a real training photo, CHW in [0, 1].
fn photo() -> Vec<f32> {
    let img = image::open("../shared/data/train/mate_Garden.png")
        .expect("shared data beside the repo")
        .to_rgb8();
    let (x0, y0) = (img.width() / 2, img.height() / 2);
    let mut out = vec![0f32; 3 * SIDE * SIDE];
    for y in 0..SIDE {
        for x in 0..SIDE {
            let p = img.get_pixel(x0 + x as u32, y0 + y as u32);
            for c in 0..3 {
                out[(c * SIDE + y) * SIDE + x] = p[c] as f32 / 255.0;
            }
        }
    }
    out
}

struct Net {
    params: Vec<Tensor>,
}

impl Net {
    fn new(gpu: &Gpu, seed: u64) -> Net {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut p = |shape: &[usize], bound: f32| {
            let n = shape.iter().product();
            let v: Vec<f32> = (0..n).map(|_| rng.random_range(-bound..bound)).collect();
            let t = Tensor::from_slice(gpu, shape, &v).unwrap();
            t.set_requires_grad(true);
            t
        };
        let params = vec![
            p(&[16, 3, 3, 3], 0.19),
            p(&[16], 0.19),
            p(&[16, 16, 3, 3], 0.08),
            p(&[16], 0.08),
            p(&[3, 16, 3, 3], 0.08),
            p(&[3], 0.08),
        ];
        Net { params }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let p = &self.params;
        let h = activation::relu(&conv2d::conv2d(x, &p[0], Some(&p[1])).unwrap()).unwrap();
        let h =
            activation::leaky_relu(&conv2d::conv2d(&h, &p[2], Some(&p[3])).unwrap(), 0.1).unwrap();
        binary::add(&conv2d::conv2d(&h, &p[4], Some(&p[5])).unwrap(), x).unwrap()
    }
}

/// Train to remove fixed noise from the photo; returns (first loss, last loss, weights).
fn train(steps: usize, seed: u64, pool_check: bool) -> (f32, f32, Vec<Vec<f32>>) {
    let gpu = common::gpu();
    let clean = photo();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let noisy: Vec<f32> = clean
        .iter()
        .map(|v| v + rng.random_range(-0.15f32..0.15))
        .collect();
    let shape = [1, 3, SIDE, SIDE];
    let x = Tensor::from_slice(&gpu, &shape, &noisy).unwrap();
    let y = Tensor::from_slice(&gpu, &shape, &clean).unwrap();
    let net = Net::new(&gpu, seed);
    let mut adam = optim::Adam::new(2e-3, 0.9, 0.99);
    let (mut first, mut last) = (0.0, 0.0);
    let mut pool_at_2 = None;
    let d0 = gpu.dispatch_count();
    for step in 1..=steps {
        let l = loss::l1(&net.forward(&x), &y).unwrap();
        let g = autograd::backward(&l).unwrap();
        adam.step(&net.params, &g).unwrap();
        if step == 1 {
            first = l.to_vec().unwrap()[0];
            eprintln!("dispatches per step: {}", gpu.dispatch_count() - d0);
        }
        if step == steps {
            last = l.to_vec().unwrap()[0];
        }
        if step == 2 && pool_check {
            gpu.sync().unwrap();
            pool_at_2 = Some(gpu.pool_stats());
        }
    }
    gpu.sync().unwrap();
    if let Some(s2) = pool_at_2 {
        let s = gpu.pool_stats();
        assert_eq!(
            (s2.created, s2.bytes),
            (s.created, s.bytes),
            "pool grew after step 2: {s2:?} -> {s:?}"
        );
    }
    let w = net.params.iter().map(|p| p.to_vec().unwrap()).collect();
    (first, last, w)
}

#[test]
fn tiny_conv_net_learns_to_denoise_a_photo() {
    let (first, last, _) = train(300, 1, false);
    eprintln!("L1 loss: {first:.4} -> {last:.4}");
    assert!(last < first / 3.0, "loss fell only from {first} to {last}");
}

#[test]
fn buffer_pool_is_flat_from_step_2_to_step_50() {
    train(50, 2, true);
}

#[test]
fn two_identical_runs_give_bit_identical_weights() {
    let (_, _, a) = train(20, 3, false);
    let (_, _, b) = train(20, 3, false);
    for (i, (pa, pb)) in a.iter().zip(&b).enumerate() {
        assert!(
            pa.iter().zip(pb).all(|(x, y)| x.to_bits() == y.to_bits()),
            "parameter {i} differs between runs"
        );
    }
}
