//! phasebound-core on a Cortex-M4F: every phase, on bars in flash, in a `static` workspace.
//!
//! The image runs [`scenario::run`] for both profiles on the embedded synthetic data with
//! a [`SmallWorkspace`] (2 symbols, 96-bar windows, 64 cells: 62 KB) and prints the
//! results over semihosting, then `ok`, and exits QEMU with status 0 (1 on an error, a
//! panic or a fault). Lines starting with `#` describe the target (they may differ from
//! the host's); every other line must be identical to the host's.
//!
//! There is no `#[global_allocator]`: anything in the dependency graph that allocates
//! fails the link (the `alloc-canary` feature shows it).
//!
//! Run with `cargo run --release` in this directory (QEMU `mps2-an386`, see
//! `.cargo/config.toml`); `tests/firmware` in the workspace compares it with the host.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

mod scenario;

use core::cell::RefCell;
use core::fmt::Write;
use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hio};
use critical_section::Mutex;
use panic_semihosting as _;
use phasebound_core::engine::SmallWorkspace;
use phasebound_core::engine::footprint::SMALL_WORKSPACE_BYTES;

/// All the working memory of the phases. Borrowed once, inside a critical section:
/// no `static mut`, no `unsafe`.
static WORKSPACE: Mutex<RefCell<SmallWorkspace>> = Mutex::new(RefCell::new(SmallWorkspace::new()));

#[entry]
fn main() -> ! {
    #[cfg(feature = "alloc-canary")]
    alloc_canary();
    let ok = match hio::hstdout() {
        Ok(mut out) => critical_section::with(|cs| {
            let mut ws = WORKSPACE.borrow_ref_mut(cs);
            let mut source = scenario::FlashSource::embedded();
            let _ = writeln!(
                out,
                "# target=thumbv7em-none-eabihf workspace_bytes={SMALL_WORKSPACE_BYTES}"
            );
            match scenario::run(&mut ws, &mut source, &mut out) {
                Ok(()) => writeln!(out, "ok").is_ok(),
                Err(e) => {
                    let _ = writeln!(out, "error: {e:?}");
                    false
                }
            }
        }),
        Err(()) => false,
    };
    exit(ok)
}

/// Ends the QEMU session with status 0 (`ok`) or 1.
fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Only reached without a semihosting host to exit to.
    loop {
        cortex_m::asm::wfi();
    }
}

/// A fault (bad memory access, invalid instruction) ends the run as a failure instead of
/// spinning until the test's timeout. cortex-m-rt requires this handler to be `unsafe`.
#[allow(unsafe_code)]
#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = writeln!(out, "error: HardFault at pc={:#010x}", frame.pc());
    }
    exit(false)
}

/// With `--features alloc-canary` the image needs an allocator, which no crate provides:
/// the build must fail at link time (`.ci/run` checks that it does).
#[cfg(feature = "alloc-canary")]
fn alloc_canary() {
    extern crate alloc;
    let boxed = alloc::boxed::Box::new(1u8);
    core::hint::black_box(&boxed);
}
