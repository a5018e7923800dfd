//! Learning-rate schedules as pure functions of the step (1-based, as BasicSR counts
//! `current_iter`): nothing to save in a checkpoint beyond the step itself.

use super::config::Scheduler;

/// The learning rate used at `step`, BasicSR's way: the scheduler has been stepped `step`
/// times; during warm-up (step < warmup_iter) lr = base * step / warmup_iter instead.
pub fn lr_at(base: f32, sched: Option<&Scheduler>, warmup_iter: i64, step: u64) -> f32 {
    if warmup_iter > 0 && (step as i64) < warmup_iter {
        return (base as f64 * step as f64 / warmup_iter as f64) as f32;
    }
    let base = base as f64;
    let lr = match sched {
        None => base,
        Some(Scheduler::CosineAnnealingRestartLR {
            periods,
            restart_weights,
            eta_min,
        }) => {
            // BasicSR: the first period whose cumulative end is >= step; past the last one the
            // schedule stays at the end of the last period.
            let mut start = 0u64;
            let mut idx = periods.len() - 1;
            for (i, p) in periods.iter().enumerate() {
                if step <= start + p {
                    idx = i;
                    break;
                }
                if i + 1 < periods.len() {
                    start += p;
                }
            }
            let period = periods[idx] as f64;
            let weight = restart_weights.get(idx).copied().unwrap_or(1.0) as f64;
            let t = ((step - start) as f64).min(period);
            let eta = *eta_min as f64;
            eta + weight * 0.5 * (base - eta) * (1.0 + (std::f64::consts::PI * t / period).cos())
        }
        Some(Scheduler::MultiStepLR { milestones, gamma }) => {
            let passed = milestones.iter().filter(|m| **m <= step).count();
            base * (*gamma as f64).powi(passed as i32)
        }
    };
    lr as f32
}
