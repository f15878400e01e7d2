//! The distributions the verdict needs: standard normal CDF and quantile, and the upper
//! tail of Student's t. All through [`crate::math`] (libm), so every target computes the
//! same bits.

use crate::math;

/// `P(Z ≤ x)` for a standard normal `Z`.
#[must_use]
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * math::erfc(-x / core::f64::consts::SQRT_2)
}

/// The `p`-quantile of the standard normal (`normal_cdf(q) = p`), for `0 < p < 1`;
/// `−∞`/`+∞` at 0 and 1, NaN outside. Acklam's rational approximation (relative error
/// below 1.2e-9) refined by one Halley step on [`normal_cdf`].
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let low = 0.024_25;
    let x = if p < low {
        let q = math::sqrt(-2.0 * math::ln(p));
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = math::sqrt(-2.0 * math::ln(1.0 - p));
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step.
    let e = normal_cdf(x) - p;
    let u = e * math::sqrt(2.0 * core::f64::consts::PI) * math::exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

/// `P(T ≥ t)` for Student's t with `df > 0` degrees of freedom (the one-sided p-value of
/// a t-statistic), through the regularized incomplete beta function. NaN for `df ≤ 0`.
#[must_use]
pub fn student_t_sf(t: f64, df: f64) -> f64 {
    if !crate::trade::positive_finite(df) || t.is_nan() {
        return f64::NAN;
    }
    if t == f64::INFINITY {
        return 0.0;
    }
    if t == f64::NEG_INFINITY {
        return 1.0;
    }
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(df / 2.0, 0.5, x);
    if t > 0.0 { tail } else { 1.0 - tail }
}

/// The regularized incomplete beta function `I_x(a, b)` (Numerical Recipes' continued
/// fraction, evaluated on the side where it converges fast).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = math::ln_gamma(a + b) - math::ln_gamma(a) - math::ln_gamma(b)
        + a * math::ln(x)
        + b * math::ln(1.0 - x);
    let front = math::exp(ln_front);
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / away_from_zero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        // The even and the odd step of the fraction (Lentz's method).
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        h *= lentz_step(even, &mut c, &mut d);
        let del = lentz_step(odd, &mut c, &mut d);
        h *= del;
        if math::abs(del - 1.0) < 1e-15 {
            break;
        }
    }
    h
}

/// One step of Lentz's method for coefficient `aa`: updates `c` and `d`, returns the
/// factor `c·d` the fraction's value is multiplied by.
fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = 1.0 / away_from_zero(1.0 + aa * *d);
    *c = away_from_zero(1.0 + aa / *c);
    *c * *d
}

/// `v`, or a tiny number where `v` is (nearly) zero, so Lentz's method never divides by 0.
fn away_from_zero(v: f64) -> f64 {
    const TINY: f64 = 1e-300;
    if math::abs(v) < TINY { TINY } else { v }
}
