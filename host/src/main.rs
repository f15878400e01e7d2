//! `phasebound` binary: `main → run → ExitCode`.
#![forbid(unsafe_code)]

use clap::Parser;
use phasebound::cli::{Cli, Command};
use phasebound::error::AppError;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phasebound: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), AppError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let w = |out: &mut std::io::StdoutLock<'_>, s: &str| {
        out.write_all(s.as_bytes())
            .map_err(|e| AppError::io("<stdout>", e))
    };
    match cli.validate()? {
        Command::Config => w(&mut out, &phasebound::config::Config::defaults_toml()),
        Command::Budget => w(&mut out, &phasebound::memory::budget_text()),
        Command::Fixtures(dir) => {
            phasebound::synth::write_fixtures(&dir).map_err(|e| AppError::io(&dir, e))?;
            w(
                &mut out,
                &format!("fixtures written to {}\n", dir.display()),
            )
        }
        Command::Synth { dir, symbols, days } => {
            let seed = phasebound::synth::FIXTURE_SEED;
            let files = phasebound::synth::write_market(&dir, symbols, days, seed)
                .map_err(|e| AppError::io(&dir, e))?;
            w(
                &mut out,
                &format!(
                    "{} symbols x {days} days of 15m bars written to {}\n",
                    files.len(),
                    dir.display()
                ),
            )
        }
        Command::Download { opts } => {
            let outcome = phasebound::download::run(&opts)?;
            w(&mut out, &outcome.summary)
        }
        Command::Export { opts } => {
            let exported = phasebound::export::run(&opts)?;
            w(&mut out, &exported.summary)
        }
        Command::Exits { opts, quiet } => {
            let outcome = phasebound::exits::run(&opts)?;
            if quiet {
                Ok(())
            } else {
                w(&mut out, &outcome.summary)
            }
        }
        Command::Merge { opts, quiet } => {
            let outcome = phasebound::exits::shard::merge(&opts)?;
            if quiet {
                Ok(())
            } else {
                w(&mut out, &outcome.summary)
            }
        }
        Command::Run {
            opts,
            quiet,
            json,
            nice,
        } => {
            if nice {
                // Best effort: leave CPU to the live bot. Failure (e.g. a sandbox) is harmless.
                let _ = rustix::process::setpriority_process(None, 10);
            }
            if !quiet && !json && opts.data.is_empty() {
                w(
                    &mut out,
                    "No --data given: running all phases on the embedded synthetic market (fixtures/).\n",
                )?;
            }
            // Printed before the outputs are committed (see `run_announced`); only the
            // closing `Wrote …` line comes after.
            let outcome = phasebound::pipeline::run_announced(&opts, |report, summary| {
                if json {
                    let text = serde_json::to_string_pretty(report)
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                    w(&mut out, &format!("{text}\n"))?;
                } else if !quiet {
                    w(&mut out, summary)?;
                }
                out.flush().map_err(|e| AppError::io("<stdout>", e))
            })?;
            if quiet || json {
                return Ok(());
            }
            let files: Vec<String> = outcome
                .written
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            w(&mut out, &format!("Wrote {}\n", files.join(", ")))
        }
    }
}
