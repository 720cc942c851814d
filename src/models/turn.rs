//! The device random state is one per process: seeding it and drawing from
//! it (initialising a model, dropout) must not interleave between threads,
//! or a model's weights depend on what else runs.

static DEVICE_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Exclusive use of the devices' random state (seeding, initialising,
/// dropout) in this process. Training takes it; so must any other code that
/// seeds a device or builds a model while trainings may run.
pub fn rng_turn() -> std::sync::MutexGuard<'static, ()> {
    DEVICE_RNG.lock().unwrap_or_else(|e| e.into_inner())
}
