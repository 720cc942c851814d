//! One way to run a hot host kernel with the widest vectors the CPU has.
//!
//! The kernels are plain Rust loops; compiled inside a `#[target_feature]` function they
//! auto-vectorise to 16 lanes (AVX-512) or 8 lanes (AVX2), while the default x86-64 build
//! only assumes SSE2. The path is chosen once per process ([`super::isa`]), so one binary
//! runs everywhere and a process takes the same path on every call. Rust never fuses or
//! reorders floating-point operations on its own, so the three builds of a kernel give the
//! same bits.

/// `simd_kernel!(fn name(a: A, b: B) -> R { body })` defines `name`, which runs `body`
/// compiled for the path [`super::isa::isa`] chose: AVX-512 (F/BW/DQ/VL), AVX2+FMA, or as
/// is. Helpers the body calls must be `#[inline(always)]` to be compiled for the same
/// instruction set.
macro_rules! simd_kernel {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name($($a: $t),*) $(-> $r)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($a: $t),*) $(-> $r)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512($($a: $t),*) $(-> $r)? {
                    body($($a),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($a: $t),*) $(-> $r)? {
                    body($($a),*)
                }
                match $crate::models::isa::isa() {
                    // SAFETY: `isa()` only picks a path whose features the CPU has.
                    $crate::models::isa::Isa::Avx512 => return unsafe { avx512($($a),*) },
                    $crate::models::isa::Isa::Avx2 => return unsafe { avx2($($a),*) },
                    $crate::models::isa::Isa::Scalar => {}
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
