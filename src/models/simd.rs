//! One way to run a hot host kernel with AVX2 and FMA when the CPU has them.
//!
//! The kernels are plain Rust loops; compiled inside a
//! `#[target_feature(enable = "avx2,fma")]` function they auto-vectorise to 8 lanes with
//! fused multiply-adds, while the default x86-64 build only assumes SSE2. The choice is
//! made at run time, so one binary runs everywhere; on a given machine the same path is
//! taken every call, so results stay bit-identical run to run.

/// `simd_kernel!(fn name(a: A, b: B) -> R { body })` defines `name`, which runs `body`
/// compiled for AVX2+FMA when the CPU has both and as is otherwise. Helpers the body
/// calls must be `#[inline(always)]` to be compiled for the same instruction set.
macro_rules! simd_kernel {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name($($a: $t),*) $(-> $r)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($a: $t),*) $(-> $r)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($a: $t),*) $(-> $r)? {
                    body($($a),*)
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: both features were just detected on this CPU.
                    return unsafe { avx2($($a),*) };
                }
            }
            body($($a),*)
        }
    };
}
pub(crate) use simd_kernel;

#[cfg(test)]
mod tests {
    super::simd_kernel!(
        fn axpy(a: f32, x: &[f32], y: &mut [f32]) -> usize {
            for (y, x) in y.iter_mut().zip(x) {
                *y += a * x;
            }
            y.len()
        }
    );

    #[test]
    fn the_dispatched_kernel_computes_what_its_body_does() {
        let x: Vec<f32> = (0..37).map(|i| i as f32 * 0.25).collect();
        let mut y = vec![1.0f32; 37];
        assert_eq!(axpy(2.0, &x, &mut y), 37);
        assert!(y.iter().zip(&x).all(|(y, x)| *y == 1.0 + 2.0 * x));
    }
}
