//! Wall time of one LPIPS evaluation (two images through the backbone, the distance read back)
//! at 96x96 and 512x512, AlexNet and VGG16, with the GPU time per op of one 512x512 run
//! (`cargo run --release --example lpips_speed`; needs the weights of tools/setup_lpips.sh).
use sralign::data::{io, resize::imresize};
use sralign::eval::lpips::{find_weights, Lpips, LpipsNet};
use sralign::Gpu;

fn main() -> anyhow::Result<()> {
    let gpu = Gpu::new()?;
    let full = io::load_image("../shared/data/test/sporco_sail.png")?;
    for net in [LpipsNet::Alex, LpipsNet::Vgg] {
        let path = find_weights(net).map_err(anyhow::Error::msg)?;
        let lp = Lpips::load(&gpu, net, &path)?;
        for size in [96, 512] {
            let a = full.crop(0, 0, size, size);
            let b = imresize(&imresize(&a, 0.25), 4.0);
            let d = lp.distance(&a, &b)?; // compiles the pipelines
            let mut times: Vec<f64> = (0..3)
                .map(|_| {
                    let t0 = std::time::Instant::now();
                    lp.distance(&a, &b)
                        .map(|_| t0.elapsed().as_secs_f64() * 1e3)
                })
                .collect::<anyhow::Result<_>>()?;
            times.sort_by(f64::total_cmp);
            println!(
                "{:<5} {size:>4}x{size:<4} LPIPS {d:.4}  median {:.1} ms (min {:.1}, max {:.1})",
                net.name(),
                times[1],
                times[0],
                times[2]
            );
            if size == 512 {
                gpu.set_profiling(true)?;
                lp.distance(&a, &b)?;
                let rows = gpu.take_profile()?;
                gpu.set_profiling(false)?;
                let total: f64 = rows.iter().map(|r| r.1).sum();
                for (op, ms, n) in rows.iter().filter(|r| r.1 > 0.03 * total) {
                    println!("      {op:<50} {ms:>9.1} ms {n:>4}");
                }
                println!("      GPU total {total:.1} ms");
            }
        }
    }
    Ok(())
}
