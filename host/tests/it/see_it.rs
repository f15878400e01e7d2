//! What an operator looks at: `trades.csv` adds up to the report, `report.html` is one
//! self-contained page (with Phase 2's weight group × filter matrix), `exits.html` too
//! (with the best cells' curves), and a real browser (Debian's chromium, headless)
//! renders both with pictures and without errors.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

use crate::cli::{baseline, phasebound};

/// `exits.html` of `phasebound exits` on the embedded data: 300 entries, 36 cells.
fn exits_html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        let tmp = TempDir::new().unwrap();
        let entries = crate::exits_limits::entries(tmp.path());
        let o = phasebound(
            &[
                "exits",
                "--quiet",
                "--entries",
                entries.to_str().unwrap(),
                "--out",
                "out",
                "--tp",
                "1,2,3",
                "--sl",
                "1,2",
                "--hold-hours",
                "4,8,24",
                "--trailing",
                "off,1:0.5",
            ],
            tmp.path(),
        );
        o.expect_code(0);
        std::fs::read_to_string(tmp.path().join("out/exits.html")).unwrap()
    })
}

/// A page needs nothing but itself: no script, no external resource.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(!html.contains("<script"));
    for attr in ["src=", "href=", "url(", "@import"] {
        assert!(!html.contains(attr), "{attr}");
    }
    // The only URL is the SVG namespace, which is a name, not a fetch.
    let urls = html.matches("http").count();
    assert_eq!(
        urls,
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(!html.contains("chart not drawn"));
}

fn trades(files_dir: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(files_dir.join("trades.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "profile",
            "params",
            "period",
            "symbol",
            "direction",
            "signal_time",
            "entry_time",
            "entry_price",
            "exit_bar_time",
            "exit_price",
            "reason",
            "ambiguous",
            "profit_pct",
            "stake",
            "equity_after"
        ]
    );
    lines
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            assert_eq!(fields.len(), header.len(), "{l}");
            header
                .iter()
                .zip(fields)
                .map(|(h, v)| ((*h).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap()
}

/// Each fold's rows are the fold's out-of-sample trades of report.json, the shown
/// parameters' rows are the final all-data trades, and the equity column, recomputed
/// from stakes and profits alone, ends at the report's final equity.
#[test]
fn trades_csv_adds_up_to_the_report() {
    let base = baseline();
    let tmp = TempDir::new().unwrap();
    std::fs::write(tmp.path().join("trades.csv"), &base.trades_csv).unwrap();
    let rows = trades(tmp.path());
    let report: Value = base.files.report();
    for profile in ["scalping", "swing"] {
        let folds = report["phase4"][profile]["folds"].as_array().unwrap();
        for (k, fold) in folds.iter().enumerate() {
            let mine: Vec<_> = rows
                .iter()
                .filter(|r| {
                    r["profile"] == profile
                        && r["params"] == "walk-forward"
                        && r["period"] == format!("fold {}", k + 1)
                })
                .collect();
            let oos = &fold["out_of_sample"];
            assert_eq!(
                mine.len() as u64,
                oos["trades"].as_u64().unwrap(),
                "{profile} fold {k}"
            );
            let mut equity = 1.0;
            for r in &mine {
                equity += num(r, "stake") * num(r, "profit_pct") / 100.0;
                assert!((equity - num(r, "equity_after")).abs() < 1e-6, "{r:?}");
                assert!(
                    r["entry_time"] > r["signal_time"] && r["exit_bar_time"] >= r["entry_time"]
                );
                let from = fold["test"]["from"].as_str().unwrap();
                let to = fold["test"]["to"].as_str().unwrap();
                assert!(r["signal_time"].as_str() >= from && r["signal_time"].as_str() < to);
            }
            let final_equity = oos["final_equity"].as_f64().unwrap();
            assert!(
                (equity - final_equity).abs() < 1e-5,
                "{equity} vs {final_equity}"
            );
        }
        let fin = &report["final"][profile];
        let shown: Vec<_> = rows
            .iter()
            .filter(|r| r["profile"] == profile && r["params"] != "walk-forward")
            .collect();
        assert_eq!(
            shown.len() as u64,
            fin["all_data"]["trades"].as_u64().unwrap()
        );
        let last = shown.last().unwrap();
        assert!(
            (num(last, "equity_after") - fin["all_data"]["final_equity"].as_f64().unwrap()).abs()
                < 1e-5
        );
        let expected = if fin["enabled"].as_bool().unwrap() {
            fin["source"].as_str().unwrap().to_owned()
        } else {
            "new (not shipped)".to_owned()
        };
        assert!(shown.iter().all(|r| r["params"] == expected));
        // Rows come in the order the account realized them.
        assert!(
            shown
                .windows(2)
                .all(|w| w[0]["exit_bar_time"] <= w[1]["exit_bar_time"])
        );
    }
}

/// A cost that eats every stake ruins the accounts (equity 0, the core's floor): the
/// trades.csv replay floors the equity at 0 and takes no entry after the ruin, exactly as
/// the account does, so the run still writes trades.csv and report.html, and each pass's
/// rows end at the ruin, at equity 0.
#[test]
fn ruined_accounts_still_write_trades_csv() {
    let tmp = TempDir::new().unwrap();
    // A round trip of 39.6 % with the whole initial capital staked on each trade: the
    // third loss ruins the account, and every cell that qualifies has 30 trades.
    std::fs::write(
        tmp.path().join("c.toml"),
        "[trading]\nfee_pct_per_side = 9.9\nslippage_pct_per_side = 9.9\n\
         stake = \"fixed\"\nmax_open_trades = 1\n",
    )
    .unwrap();
    let o = phasebound(
        &["run", "--quiet", "--config", "c.toml", "--out", "o"],
        tmp.path(),
    );
    o.expect_code(0);
    let dir = tmp.path().join("o");
    assert!(dir.join("report.html").is_file());
    let rows = trades(&dir);
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    for profile in ["scalping", "swing"] {
        let fin = &report["final"][profile]["all_data"];
        assert_eq!(fin["final_equity"].as_f64(), Some(0.0), "{profile}: {fin}");
        let shown: Vec<_> = rows
            .iter()
            .filter(|r| r["profile"] == profile && r["params"] != "walk-forward")
            .collect();
        assert_eq!(shown.len() as u64, fin["trades"].as_u64().unwrap());
        // The equity recomputed from stakes and profits, floored at 0: one slot, so the
        // ruin is the pass's last trade.
        let mut equity: f64 = 1.0;
        for (k, r) in shown.iter().enumerate() {
            equity = (equity + num(r, "stake") * num(r, "profit_pct") / 100.0).max(0.0);
            assert!((equity - num(r, "equity_after")).abs() < 1e-6, "{r:?}");
            assert_eq!(
                equity == 0.0,
                k + 1 == shown.len(),
                "{profile} row {k}: {r:?}"
            );
        }
        assert_eq!(shown.last().unwrap()["equity_after"], "0.00000000");
    }
}

/// report.html needs nothing but itself: no script, no external resource.
#[test]
fn report_html_is_self_contained() {
    let html = String::from_utf8(baseline().report_html.clone()).unwrap();
    assert_self_contained(&html);
    // Per profile: equity, drawdown, the two views of the exit landscape and the Phase 2
    // matrix.
    assert_eq!(html.matches("<svg").count(), 10);
    assert_eq!(html.matches("<h3>Exit landscape").count(), 2);
    for card in ["<h2>SCALPING</h2>", "<h2>SWING</h2>"] {
        assert!(html.contains(card), "{card}");
    }
    assert_eq!(html.matches("walk-forward verdict <b>").count(), 2);
}

/// The attribute `name` of an SVG element.
fn attr(element: &str, name: &str) -> f64 {
    let from = element.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    element[from..from + element[from..].find('"').unwrap()]
        .parse()
        .unwrap()
}

/// Phase 2 in report.html is a heatmap of every screened filter: a square per weight
/// group × (minimum score, minimum consensus), the colour scale from the worst to
/// Phase 2's best objective, tonight's entry filter framed; the table of the best stays.
#[test]
fn report_html_has_the_phase2_matrix() {
    let html = String::from_utf8(baseline().report_html.clone()).unwrap();
    let report: Value = baseline().files.report();
    for (profile, section) in ["scalping", "swing"]
        .into_iter()
        .zip(html.split("<h2>").skip(1))
    {
        let p2 = &report["phase2"][profile];
        let n = p2["combinations"].as_u64().unwrap() as usize;
        let head = format!("<h3>Phase 2: weight group × entry filter ({n} combinations,");
        let at = section
            .find(&head)
            .unwrap_or_else(|| panic!("{profile}: no matrix"));
        let svg = &section[at..at + section[at..].find("</svg>").unwrap()];
        // The background, a square per combination, the frame.
        assert_eq!(svg.matches("<rect").count(), n + 2, "{profile}");
        let frames: Vec<&str> = svg
            .split("<rect")
            .skip(1)
            .map(|r| &r[..r.find('>').unwrap()])
            .filter(|r| r.contains("fill=\"none\""))
            .collect();
        assert_eq!(frames.len(), 1, "{profile}");
        // The scale ends at Phase 2's best objective.
        let best = p2["top"][0]["objective"].as_f64().unwrap();
        let caption = &section[at + svg.len()..];
        assert!(
            caption.starts_with("</svg>\n<p class=\"meta\">Objective from ")
                && caption[..200].contains(&format!(" to {best:.3} (green)")),
            "{profile}: {}",
            &caption[..200]
        );
        // The frame sits on tonight's filter: its centre is on that row's and column's labels.
        let p3 = &report["phase3"][profile];
        let chosen = &p3["starts"][p3["chosen_start"].as_u64().unwrap() as usize]["best"];
        let label = |text: &str| -> &str {
            let end = svg
                .find(&format!("\n{text}\n</text>"))
                .unwrap_or_else(|| panic!("{profile}: no label {text}"));
            &svg[svg[..end].rfind("<text").unwrap()..end]
        };
        let column = format!(
            "{}/{}",
            chosen["min_signal_score"].as_f64().unwrap(),
            chosen["min_indicator_consensus"]
        );
        let row = label(chosen["weight_group"].as_str().unwrap());
        let frame = frames[0];
        let centre = |pos: &str, size: &str| attr(frame, pos) + attr(frame, size) / 2.0;
        assert!((centre("x", "width") - attr(label(&column), "x")).abs() <= 1.0);
        assert!((centre("y", "height") - attr(row, "y")).abs() <= 1.0);
        // Every weight group of the table has its row.
        for t in p2["top"].as_array().unwrap() {
            label(t["weight_group"].as_str().unwrap());
        }
        assert!(section.contains("<h3>Phase 2: the best entry filters ("));
    }
}

/// exits.html is self-contained like report.html, with the two heatmaps, the equity and
/// drawdown of the five best cells and their legend.
#[test]
fn exits_html_is_self_contained_with_the_top_curves() {
    let html = exits_html();
    assert_self_contained(html);
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(html.contains("<h3>Equity (start = 1) and drawdown of the 5 best cells</h3>"));
    let ranks: Vec<&str> = html
        .lines()
        .filter_map(|l| l.strip_prefix("<tr class=\"curve\"><td>"))
        .map(|l| &l[..l.find('<').unwrap()])
        .collect();
    assert_eq!(ranks, ["1", "2", "3", "4", "5"]);
}

/// Renders report.html and exits.html in headless chromium: no screenshot is blank and
/// no page logs an error. SKIP without chromium (CI installs Debian's).
#[test]
fn pages_render_in_a_real_browser() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        assert!(
            std::env::var_os("PHASEBOUND_REQUIRE_CHROMIUM").is_none(),
            "PHASEBOUND_REQUIRE_CHROMIUM is set but no chromium is on PATH"
        );
        println!("SKIP: pages_render_in_a_real_browser: no chromium on PATH");
        return;
    };
    let tmp = TempDir::new().unwrap();
    let screenshot = |name: &str, html: &[u8]| -> (Vec<u8>, String) {
        let page = tmp.path().join(format!("{name}.html"));
        std::fs::write(&page, html).unwrap();
        let shot = tmp.path().join(format!("{name}.png"));
        let o = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1100,1600",
            ])
            .arg(format!(
                "--user-data-dir={}",
                tmp.path().join(name).display()
            ))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{stderr}");
        (std::fs::read(&shot).unwrap(), stderr)
    };
    // A blank 1100×1600 page compresses to a few KiB; text, tables and charts do not.
    let (blank, _) = screenshot("blank", b"<!DOCTYPE html><html><body></body></html>");
    for (name, page) in [
        ("report", baseline().report_html.as_slice()),
        ("exits", exits_html().as_bytes()),
    ] {
        let (png, stderr) = screenshot(name, page);
        for bad in ["CONSOLE", "Failed to load resource", "net::ERR", "Uncaught"] {
            assert!(!stderr.contains(bad), "{name}: {bad} in\n{stderr}");
        }
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(
            png.len() > 60_000 && png.len() > 10 * blank.len(),
            "{name}: screenshot of {} bytes looks blank (a blank page: {})",
            png.len(),
            blank.len()
        );
    }
}
