//! What ships to the bot: the decision rule of DESIGN §4, as a pure function.
//!
//! Three candidates can ship for a profile, each judged by the same out-of-sample test
//! on the same walk-forward folds (see [`crate::procedure`]):
//!
//! - **new**: the parameters the nightly procedure fits on all data. What is judged is
//!   the procedure: on each fold, the same procedure fitted on the data before the fold
//!   chose the parameters that traded it.
//! - **incumbent**: the parameters the bot runs now (`--previous`, or the `params.json`
//!   already in the output folder), traded unchanged on every fold.
//! - **fallback**: conservative parameters from the config, if the user configured any
//!   (none by default), traded unchanged on every fold.
//!
//! The rule, in order:
//! 1. new PASSED, and no incumbent that PASSED: ship **new**;
//! 2. new PASSED and the incumbent PASSED too: ship **new** only when its pooled
//!    out-of-sample Sharpe beats the incumbent's by the margin, else keep the
//!    **incumbent**;
//! 3. new did not pass, the incumbent PASSED: keep the **incumbent**;
//! 4. neither, a configured fallback PASSED: ship the **fallback**;
//! 5. otherwise: ship nothing (`enabled: false`, source **none**).
//!
//! So nothing reaches the bot that has not passed the out-of-sample test.

use phasebound_core::phase::{Validation, Verdict};
use phasebound_core::plan::CellDef;
use phasebound_core::stats::sharpe;

/// Where the shipped parameters come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Fitted tonight on all data.
    New,
    /// The parameters already running.
    Incumbent,
    /// The configured conservative parameters.
    Fallback,
    /// Nothing passed: the profile is disabled.
    None,
}

impl Source {
    /// Lower-case name, as in params.json.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Source::New => "new",
            Source::Incumbent => "incumbent",
            Source::Fallback => "fallback",
            Source::None => "none",
        }
    }
}

/// The decision for one profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Where the parameters come from.
    pub source: Source,
    /// The parameters that ship (`None` = the profile is disabled).
    pub cell: Option<CellDef>,
    /// Why, in one sentence.
    pub reason: String,
}

/// Applies the rule of the module docs. `new` is the procedure's validation (its `cell`
/// is the parameters fitted on all data); `incumbent` and `fallback` are the validations
/// of those fixed parameters on the same folds; `margin` is in annualized Sharpe.
#[must_use]
pub fn decide(
    new: &Validation,
    incumbent: Option<&Validation>,
    fallback: Option<&Validation>,
    margin: f64,
) -> Decision {
    let passed = |v: &Validation| v.verdict == Verdict::Passed;
    let ship = |source, v: &Validation, reason: String| Decision {
        source,
        cell: Some(v.cell),
        reason,
    };
    let new_sharpe = sharpe(&new.out_of_sample);
    match (passed(new), incumbent.filter(|v| passed(v))) {
        (true, None) => ship(
            Source::New,
            new,
            "the procedure passed out of sample and no incumbent passes".into(),
        ),
        (true, Some(inc)) => {
            let inc_sharpe = sharpe(&inc.out_of_sample);
            if new_sharpe >= inc_sharpe + margin {
                ship(
                    Source::New,
                    new,
                    format!(
                        "out-of-sample Sharpe {new_sharpe:.2} beats the incumbent's {inc_sharpe:.2} by at least the margin {margin}"
                    ),
                )
            } else {
                ship(
                    Source::Incumbent,
                    inc,
                    format!(
                        "the incumbent still passes and the new out-of-sample Sharpe {new_sharpe:.2} does not beat its {inc_sharpe:.2} by the margin {margin}"
                    ),
                )
            }
        }
        (false, Some(inc)) => ship(
            Source::Incumbent,
            inc,
            format!(
                "the procedure did not pass ({}); the incumbent still passes",
                new.verdict.name()
            ),
        ),
        (false, None) => match fallback.filter(|v| passed(v)) {
            Some(fb) => ship(
                Source::Fallback,
                fb,
                "neither the procedure nor an incumbent passed; the configured fallback passed"
                    .into(),
            ),
            None => Decision {
                source: Source::None,
                cell: None,
                reason: format!(
                    "no validated edge: the procedure's verdict is {}{}",
                    new.verdict.name(),
                    if incumbent.is_some() {
                        ", and the incumbent does not pass"
                    } else {
                        ""
                    }
                ),
            },
        },
    }
}
