//! Kernel lab for window attention at SwinIR classical's shape (4 x 180 x 48 x 48, 6 heads,
//! window 8, shift 4): forward and backward of both implementations, timed by the process's
//! CPU time as well as wall time (on a shared machine the CPU seconds lavapipe's threads
//! spend vary far less than wall time). `cargo run --release --example attention_lab [iters]`;
//! `LAB_PROFILE=1` prints each fused kernel's GPU time per call instead (timestamp queries),
//! `LAB_PARTS=1` the time of qkv's copy into a linear texture alone, `LAB_SUM=1` a checksum of
//! the fused forward's output (to compare kernel variants); `LAB_FUSED=1` times the fused
//! kernels only.
use sralign::ops::attention::{self, AttentionKernel};
use sralign::ops::matmul::MatmulKernel;
use sralign::{Gpu, Tensor};
use std::time::Instant;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = 100.0;
    let ut: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let st: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (ut + st) / tick
}

fn random(gpu: &Gpu, shape: &[usize], seed: u32) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32) - 0.5
        })
        .collect();
    Tensor::from_slice(gpu, shape, &v).unwrap()
}

fn main() {
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let gpu = Gpu::new().unwrap();
    let (nb, hw, c, heads, win, shift) = (4, 48, 180, 6, 8, 4);
    let windows = nb * (hw / win) * (hw / win);
    let n = win * win;
    let qkv = random(&gpu, &[windows, n, 3 * c], 12);
    let table = random(&gpu, &[(2 * win - 1) * (2 * win - 1), heads], 13);
    let dout = random(&gpu, &[windows, n, c], 14);
    let flops = 2.0 * 2.0 * (windows * n * n * c) as f64;
    let fused_forward = || {
        attention::window_attention_forward(
            &qkv,
            &table,
            heads,
            win,
            shift,
            hw,
            hw,
            AttentionKernel::Fused,
        )
        .unwrap()
    };
    if std::env::var("LAB_SUM").is_ok() {
        // A checksum of the fused forward's output and log-sum-exp (to compare variants).
        let (out, _) = fused_forward();
        let v = out.to_vec().unwrap();
        let (s, a) = v.iter().fold((0f64, 0f64), |(s, a), &x| {
            (s + x as f64, a + (x as f64).abs())
        });
        println!("out sum {s:.6} abs {a:.6}");
        return;
    }
    if std::env::var("LAB_PARTS").is_ok() {
        // The parts of a fused forward outside its kernel: qkv's copy into a linear texture.
        let time = |f: &dyn Fn()| {
            f();
            gpu.sync().unwrap();
            let (c0, t0) = (cpu_seconds(), Instant::now());
            for _ in 0..iters {
                f();
                gpu.sync().unwrap();
            }
            let wall = t0.elapsed().as_secs_f64() / iters as f64;
            ((cpu_seconds() - c0) / iters as f64 * 1e3, wall * 1e3)
        };
        let (cc, cw) = time(&|| {
            let t = gpu.alloc_linear_texture("lab", qkv.numel() / 4).unwrap();
            gpu.copy_to_linear_texture(qkv.buffer(), 0, qkv.numel() / 4, t.texture(), 0);
        });
        println!("qkv copy into a linear texture: cpu {cc:.1} ms wall {cw:.1} ms");
        let (ec, ew) = time(&|| gpu.sync().unwrap());
        println!("empty sync: cpu {ec:.2} ms wall {ew:.2} ms");
        return;
    }
    if std::env::var("LAB_PROFILE").is_ok() {
        // Per-kernel GPU time (timestamps around every dispatch; wall time of each dispatch).
        let fwd = fused_forward;
        let (_, saved) = fwd();
        let bwd = || {
            drop(
                attention::window_attention_backward(
                    &dout, &qkv, &table, &saved, heads, win, shift, hw, hw,
                )
                .unwrap(),
            )
        };
        bwd();
        gpu.sync().unwrap();
        gpu.set_profiling(true).unwrap();
        for _ in 0..iters {
            drop(fwd());
            gpu.sync().unwrap();
            bwd();
            gpu.sync().unwrap();
        }
        for (name, ms, calls) in gpu.take_profile().unwrap() {
            println!("{:>8.2} ms/call x{:>3}  {name}", ms / calls as f64, calls);
        }
        return;
    }
    let kernels: &[AttentionKernel] = if std::env::var("LAB_FUSED").is_ok() {
        &[AttentionKernel::Fused]
    } else {
        &[
            AttentionKernel::Products(MatmulKernel::Auto),
            AttentionKernel::Fused,
        ]
    };
    for &kernel in kernels {
        let fwd = || {
            attention::window_attention_forward(&qkv, &table, heads, win, shift, hw, hw, kernel)
                .unwrap()
        };
        let (_, saved) = fwd();
        // Warm up (pipelines compile on first use).
        drop(
            attention::window_attention_backward(
                &dout, &qkv, &table, &saved, heads, win, shift, hw, hw,
            )
            .unwrap(),
        );
        gpu.sync().unwrap();
        let time = |f: &dyn Fn()| {
            let (c0, t0) = (cpu_seconds(), Instant::now());
            for _ in 0..iters {
                f();
                gpu.sync().unwrap();
            }
            let wall = t0.elapsed().as_secs_f64() / iters as f64;
            ((cpu_seconds() - c0) / iters as f64, wall)
        };
        let (fc, fw) = time(&|| drop(fwd()));
        let (bc, bw) = time(&|| {
            drop(
                attention::window_attention_backward(
                    &dout, &qkv, &table, &saved, heads, win, shift, hw, hw,
                )
                .unwrap(),
            )
        });
        // 2 cores: GFLOP/s if the CPU seconds had run on both cores at once.
        println!(
            "{kernel:?}: forward cpu {:.1} ms ({:.1} GFLOP/s at 2 cores) wall {:.1} ms; backward cpu {:.1} ms ({:.1}) wall {:.1} ms",
            fc * 1e3,
            flops / (fc / 2.0) / 1e9,
            fw * 1e3,
            bc * 1e3,
            2.0 * flops / (bc / 2.0) / 1e9,
            bw * 1e3
        );
    }
}
