//! `exits --shard K/N` and `phasebound merge`: shards joined give the bytes of a single
//! run (exits.csv and exits.html), whatever the number of shards; foreign, repeated and
//! missing shards are refused naming the file; and the documented local recipe
//! (`examples/shards/local.sh`) does what it says.

use std::fs;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use crate::cli::phasebound;
use crate::exits_limits::entries;

/// A grid of 2 × 3 × 2 × 2 = 24 cells on the embedded data.
const GRID: [&str; 8] = [
    "--tp",
    "1,2",
    "--sl",
    "1,1.5,2",
    "--hold-hours",
    "4,8",
    "--trailing",
    "off,1:0.5",
];

fn exits(dir: &Path, out: &str, extra: &[&str]) -> crate::cli::Out {
    let mut args = vec!["exits", "--entries", "entries.csv", "--out", out];
    args.extend(GRID);
    args.extend(extra);
    phasebound(&args, dir)
}

#[test]
fn merged_shards_are_the_bytes_of_a_single_run() {
    let tmp = TempDir::new().unwrap();
    entries(tmp.path());
    exits(tmp.path(), "single", &[]).expect_code(0);
    let single = |n: &str| fs::read(tmp.path().join("single").join(n)).unwrap();
    for n in [1u32, 3, 7] {
        let mut dirs = Vec::new();
        for k in 1..=n {
            let out = format!("shard-{n}-{k}");
            let o = exits(tmp.path(), &out, &["--shard", &format!("{k}/{n}")]);
            o.expect_code(0);
            assert!(o.stdout.contains(&format!("shard {k}/{n}")), "{}", o.stdout);
            // A shard writes its shard file and nothing a user could take for the result.
            assert!(tmp.path().join(&out).join("exits.shard.json").is_file());
            assert!(!tmp.path().join(&out).join("exits.csv").exists());
            dirs.push(out);
        }
        // Given in any order.
        dirs.reverse();
        let out = format!("merged-{n}");
        let mut args = vec!["merge", "--out", &out];
        args.extend(dirs.iter().map(String::as_str));
        let o = phasebound(&args, tmp.path());
        o.expect_code(0);
        assert!(o.stdout.contains(&format!("{n} shard(s)")), "{}", o.stdout);
        for name in ["exits.csv", "exits.html"] {
            let merged = fs::read(tmp.path().join(&out).join(name)).unwrap();
            assert!(merged == single(name), "{n} shards: {name} differs");
        }
    }
}

#[test]
fn merge_refuses_foreign_repeated_and_missing_shards() {
    let tmp = TempDir::new().unwrap();
    entries(tmp.path());
    for k in 1..=2 {
        exits(
            tmp.path(),
            &format!("a{k}"),
            &["--shard", &format!("{k}/2")],
        )
        .expect_code(0);
    }
    // Another job: a different cost.
    exits(tmp.path(), "b2", &["--shard", "2/2", "--cost-pct", "0.3"]).expect_code(0);
    let merge = |shards: &[&str]| {
        let mut args = vec!["merge", "--out", "m"];
        args.extend(shards);
        phasebound(&args, tmp.path())
    };
    let o = merge(&["a1", "b2"]);
    o.expect_code(2);
    assert!(
        o.stderr.contains("b2") && o.stderr.contains("shards of different runs"),
        "{}",
        o.stderr
    );
    let o = merge(&["a1", "a1"]);
    o.expect_code(2);
    assert!(o.stderr.contains("given twice"), "{}", o.stderr);
    let o = merge(&["a2"]);
    o.expect_code(2);
    assert!(o.stderr.contains("shard 1/2 is missing"), "{}", o.stderr);
    fs::write(tmp.path().join("junk.json"), "{}").unwrap();
    let o = merge(&["a1", "junk.json"]);
    o.expect_code(2);
    assert!(o.stderr.contains("junk.json"), "{}", o.stderr);
    assert!(!tmp.path().join("m").join("exits.csv").exists());
    // Bad --shard values are usage errors.
    for bad in ["0/2", "3/2", "1", "a/b", "1/25"] {
        exits(tmp.path(), "x", &["--shard", bad]).expect_code(2);
    }
}

#[test]
fn the_local_recipe_runs_shards_in_parallel_and_merges_them() {
    let tmp = TempDir::new().unwrap();
    entries(tmp.path());
    exits(tmp.path(), "single", &[]).expect_code(0);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/shards/local.sh");
    let o = Command::new("bash")
        .arg(script)
        .args(["3", "merged", "--entries", "entries.csv"])
        .args(GRID)
        .env("PHASEBOUND", env!("CARGO_BIN_EXE_phasebound"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["exits.csv", "exits.html"] {
        assert_eq!(
            fs::read(tmp.path().join("merged").join(name)).unwrap(),
            fs::read(tmp.path().join("single").join(name)).unwrap(),
            "{name}"
        );
    }
}
