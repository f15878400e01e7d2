//! The memory-budget tables in the crate docs match the compile-time numbers
//! ([`phasebound_core::engine::footprint`]).

use phasebound_core::budget;
use phasebound_core::engine::footprint::{self, BudgetRow};

const DOCS: &str = include_str!("../../src/lib.rs");

fn documented(table_title: &str) -> Vec<(String, usize, usize)> {
    let start = DOCS.find(table_title).expect("table title in lib.rs docs");
    DOCS[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.contains("| component"))
        .skip(2)
        .take_while(|l| l.trim_start().starts_with("//! |"))
        .map(|l| {
            let cols: Vec<&str> = l
                .trim_start_matches("//!")
                .split('|')
                .map(str::trim)
                .collect();
            let num = |s: &str| s.replace([',', '`'], "").parse::<usize>().expect("number");
            (cols[1].replace('`', ""), num(cols[2]), num(cols[3]))
        })
        .collect()
}

fn check(title: &str, rows: &[BudgetRow]) {
    let doc = documented(title);
    let want: Vec<(String, usize, usize)> = rows
        .iter()
        .map(|r| (r.component.to_string(), r.capacity, r.bytes))
        .collect();
    assert_eq!(
        doc, want,
        "the table '{title}' in core/src/lib.rs is out of date; `phasebound budget` prints the numbers"
    );
}

#[test]
fn default_budget_table_matches_docs() {
    check("Default workspace", &footprint::table());
    assert_eq!(
        footprint::table()[7].bytes,
        footprint::DEFAULT_WORKSPACE_BYTES
    );
}

#[test]
fn small_budget_table_matches_docs() {
    check(
        "Small workspace",
        &footprint::table_of::<
            { budget::SMALL_SYMBOLS },
            { budget::SMALL_H_MAX },
            { budget::SMALL_H_MAX },
            { budget::SMALL_CELLS },
            0,
        >(),
    );
}

#[test]
fn rows_account_for_the_whole_workspace() {
    let t = footprint::table();
    let parts: usize = t[..7].iter().map(|r| r.bytes).sum();
    let total = t[7].bytes;
    // Only counters and alignment padding are outside the rows.
    assert!(
        parts <= total && total - parts < 4096,
        "parts {parts} total {total}"
    );
}

#[test]
fn fixed_part_is_the_workspace_without_lanes() {
    let t = footprint::fixed_part_table();
    let parts: usize = t[..3].iter().map(|r| r.bytes).sum();
    let total = t[3].bytes;
    assert!(
        parts <= total && total - parts < 4096,
        "parts {parts} total {total}"
    );
    // The default workspace is the fixed part plus its lanes and their scratch (and
    // padding).
    let lanes = budget::FIXED_SYMBOLS
        * phasebound_core::engine::lane_bytes(budget::FIXED_DEPTH, budget::FIXED_DEPTH)
        + phasebound_core::engine::scratch_bytes(budget::FIXED_DEPTH);
    let whole = footprint::DEFAULT_WORKSPACE_BYTES;
    assert!(
        whole >= total + lanes && whole - (total + lanes) < 4096,
        "whole {whole} fixed {total} lanes {lanes}"
    );
}

#[test]
#[allow(clippy::print_stdout)]
fn plan_sizes_are_documented() {
    let docs = DOCS.replace(',', "");
    for (name, bytes) in [
        ("default", footprint::DEFAULT_PLAN_BYTES),
        ("small", footprint::SMALL_PLAN_BYTES),
    ] {
        println!("{name} plan: {bytes} bytes");
        assert!(
            docs.contains(&format!("{bytes} bytes")),
            "the {name} plan size ({bytes} bytes) is not in the crate docs"
        );
    }
}
