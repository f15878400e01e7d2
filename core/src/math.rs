//! All transcendental and rounding math goes through here (libm), so that results are
//! identical on every target, with or without an FPU or `std`.

/// Square root.
#[inline]
#[must_use]
pub fn sqrt(x: f64) -> f64 {
    libm::sqrt(x)
}

/// Natural logarithm.
#[inline]
#[must_use]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `e^x`.
#[inline]
#[must_use]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// Absolute value.
#[inline]
#[must_use]
pub fn abs(x: f64) -> f64 {
    libm::fabs(x)
}

/// Largest integer not greater than `x`.
#[inline]
#[must_use]
pub fn floor(x: f64) -> f64 {
    libm::floor(x)
}

/// Nearest integer, halfway cases away from zero.
#[inline]
#[must_use]
pub fn round(x: f64) -> f64 {
    libm::round(x)
}

/// `x` clamped into `[lo, hi]`; NaN becomes `lo`.
#[inline]
#[must_use]
pub fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x >= hi {
        hi
    } else if x >= lo {
        x
    } else {
        lo
    }
}

/// `ln Γ(x)` for `x > 0`.
#[inline]
#[must_use]
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Complementary error function.
#[inline]
#[must_use]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// `x^y`.
#[inline]
#[must_use]
pub fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}
