//! More cases of the bad-input corpus (`bad_input.rs` runs them with the rest): text
//! encodings and line ends the readers refuse with a hint, control bytes made visible
//! in messages, non-finite config numbers named by key and line, configuration values
//! over the compiled capacities (exit 5), and `--max-memory` sizes.

use phasebound_core::Bar;

use crate::bad_input::{Case, csv_normalized};

fn case(
    name: &str,
    files: Vec<(&str, Vec<u8>)>,
    args: &[&str],
    code: i32,
    expect: &[&str],
) -> Case {
    Case {
        name: name.into(),
        files: files.into_iter().map(|(n, b)| (n.to_owned(), b)).collect(),
        args: args.iter().map(|s| (*s).to_owned()).collect(),
        code,
        expect: expect.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = (bom.then_some(0xFEFF_u16))
        .into_iter()
        .chain(text.encode_utf16());
    for u in units {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

/// The good CSV with line `line` (1-based) passed through `edit`.
fn edit_line(good: &[u8], line: usize, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let text = String::from_utf8(good.to_vec()).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { edit(l) } else { l.to_owned() })
        .collect();
    (lines.join("\n") + "\n").into_bytes()
}

pub(crate) fn cases(bars: &[Bar]) -> Vec<Case> {
    let good = csv_normalized(bars, 1);
    let text = String::from_utf8(good.clone()).unwrap();
    let data = |name: &str, bytes: Vec<u8>, code: i32, expect: &[&str]| {
        case(
            name,
            vec![("BTCUSDT-15m.csv", bytes)],
            &["--data", "{dir}/BTCUSDT-15m.csv"],
            code,
            expect,
        )
    };
    let file = "{dir}/BTCUSDT-15m.csv";
    let mut v = vec![
        // Encodings and line ends.
        data(
            "UTF-16 LE with BOM",
            utf16(&text, false, true),
            3,
            &[file, "UTF-16 text: save it as UTF-8"],
        ),
        data(
            "UTF-16 BE with BOM",
            utf16(&text, true, true),
            3,
            &[file, "UTF-16 text: save it as UTF-8"],
        ),
        data(
            "UTF-16 LE without BOM",
            utf16(&text, false, false),
            3,
            &[file, "UTF-16 text: save it as UTF-8"],
        ),
        data(
            "UTF-16 BE without BOM",
            utf16(&text, true, false),
            3,
            &[file, "UTF-16 text: save it as UTF-8"],
        ),
        data(
            "CR-only line ends",
            text.replace('\n', "\r").into_bytes(),
            3,
            &[file, "lines end in CR only (old Mac): convert to LF"],
        ),
        // Control bytes echoed visibly.
        data(
            "NUL in a number",
            edit_line(&good, 30, |l| l.replacen(',', ",1\u{0}2", 1)),
            3,
            &["BTCUSDT-15m.csv:30:", "open \"1\\02"],
        ),
        data(
            "control byte in a number",
            edit_line(&good, 40, |l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},{},{},\u{1}{},{}", f[0], f[1], f[2], f[3], f[4], f[5])
            }),
            3,
            &["BTCUSDT-15m.csv:40:", "close \"\\x01"],
        ),
        data(
            "escape and DEL in the header",
            edit_line(&good, 1, |_| {
                "open_time_ms,op\u{1b}en,high,low,close,vol\u{7f}".into()
            }),
            3,
            &[
                file,
                "header \"open_time_ms,op\\x1ben,high,low,close,vol\\x7f\"",
            ],
        ),
    ];
    // Config: NaN and infinity at their key and line; capacities (exit 5).
    let toml = |name: &str, text: &str, code: i32, expect: &[&str]| {
        case(
            name,
            vec![("cfg.toml", text.as_bytes().to_vec())],
            &["--config", "{dir}/cfg.toml"],
            code,
            expect,
        )
    };
    v.push(toml(
        "config: nan in a profile list",
        "seed = 1\n[scalping]\ntp_atr = [1.0, nan]\n",
        2,
        &["cfg.toml:3: scalping.tp_atr[1]: nan is not a finite number"],
    ));
    v.push(toml(
        "config: inf at the top",
        "in_sample_fraction = inf\n",
        2,
        &["cfg.toml:1: in_sample_fraction: inf is not a finite number"],
    ));
    v.push(toml(
        "config: too many folds (capacity)",
        "[validation]\nwalk_forward_folds = 99\n",
        5,
        &[
            "capacity: config:",
            "validation.walk_forward_folds",
            "MAX_FOLDS = 12",
            "use at most 12",
        ],
    ));
    let many: Vec<String> = (1..=40).map(|i| format!("{i}.0")).collect();
    v.push(toml(
        "config: too many take-profit values (capacity)",
        &format!("[swing]\ntp_atr = [{}]\n", many.join(", ")),
        5,
        &["swing.tp_atr", "40 values", "MAX_LEVELS = 32"],
    ));
    let trailing: Vec<String> = (1..=40)
        .map(|i| format!("{{ activation_atr = {i}.0, distance_atr = 1.0 }}"))
        .collect();
    v.push(toml(
        "config: too many trailing stops (was a panic)",
        &format!("[scalping]\ntrailing = [{}]\n", trailing.join(", ")),
        5,
        &["scalping.trailing", "40 values", "MAX_TRAILING = 32"],
    ));
    v.push(toml(
        "config: hold over the window (capacity)",
        "[scalping]\nhold_hours = [1.0, 9999.0]\n",
        5,
        &[
            "capacity: config:",
            "scalping.hold_hours",
            "H_MAX = 8192",
            "shorten it",
        ],
    ));
    // --max-memory: small sizes shown in KiB or bytes, `MB`/`MiB` accepted, junk refused.
    for (size, code, shown) in [
        ("1K", 5, "--max-memory is 1.0 KiB (1024 bytes)"),
        ("100", 5, "--max-memory is 100 bytes"),
        ("5MB", 5, "--max-memory is 5.0 MiB (5242880 bytes)"),
        ("5 MiB", 5, "--max-memory is 5.0 MiB (5242880 bytes)"),
        ("5 megs", 2, "'5 megs' is not a size like 512M, 5MB, 2GiB"),
    ] {
        v.push(case(
            &format!("--max-memory {size}"),
            vec![],
            &["--max-memory", size],
            code,
            &[shown],
        ));
    }
    v
}
