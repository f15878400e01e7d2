//! The cgroup memory limit ([`phasebound::cgroup`]) on fake `/proc` and `/sys` trees:
//! v2 and v1, nested groups (the smallest limit up to the root wins), `max`, v1's
//! "unlimited", missing files, garbage; and end to end, `run` and `exits` refusing with
//! exit 5 under a (fake, through `PHASEBOUND_CGROUP_ROOTS`) limit below their estimate.

use std::fs;
use std::path::Path;

use phasebound::cgroup::{CgroupLimit, memory_limit_in};
use tempfile::TempDir;

use crate::bad_input::{BIN, output, run_cmd};

fn put(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn limit(root: &Path) -> Option<(u64, String)> {
    memory_limit_in(&root.join("proc"), &root.join("sys")).map(|CgroupLimit { bytes, file }| {
        let rel = file.strip_prefix(root.join("sys/fs/cgroup")).unwrap();
        (bytes, rel.display().to_string())
    })
}

#[test]
fn cgroup_limits_are_read_from_fake_trees() {
    let t = |f: &dyn Fn(&Path)| {
        let tmp = TempDir::new().unwrap();
        f(tmp.path());
        limit(tmp.path())
    };
    // v2, nested: the smallest of the group and its parents; "max" is no limit.
    let got = t(&|r| {
        put(r, "proc/self/cgroup", "0::/a/b\n");
        put(r, "sys/fs/cgroup/a/b/memory.max", "max\n");
        put(r, "sys/fs/cgroup/a/memory.max", "536870912\n");
        put(r, "sys/fs/cgroup/memory.max", "1073741824\n");
    });
    assert_eq!(got, Some((512 << 20, "a/memory.max".into())));
    // v2: only "max" everywhere, or no files at all: no limit.
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", "0::/a\n");
            put(r, "sys/fs/cgroup/a/memory.max", "max\n");
        }),
        None
    );
    assert_eq!(t(&|r| put(r, "proc/self/cgroup", "0::/\n")), None);
    // v2 in a container (path "/"): the root folder's file.
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", "0::/\n");
            put(r, "sys/fs/cgroup/memory.max", "268435456\n");
        }),
        Some((256 << 20, "memory.max".into()))
    );
    // Hybrid: v2 mounted at unified/.
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", "0::/x\n");
            put(r, "sys/fs/cgroup/unified/x/memory.max", "1000000\n");
        }),
        Some((1_000_000, "unified/x/memory.max".into()))
    );
    // v1: the memory controller's line; its "unlimited" (near 2^63) is no limit.
    let v1 = "9:pids:/\n4:memory:/docker/abc\n1:cpu,cpuacct:/\n";
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", v1);
            put(
                r,
                "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes",
                "104857600\n",
            );
            put(
                r,
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            );
        }),
        Some((100 << 20, "memory/docker/abc/memory.limit_in_bytes".into()))
    );
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", v1);
            put(
                r,
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            );
        }),
        None
    );
    // v1 and v2 lines both present: the smaller limit.
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", "4:memory:/g\n0::/g\n");
            put(
                r,
                "sys/fs/cgroup/memory/g/memory.limit_in_bytes",
                "300000000\n",
            );
            put(r, "sys/fs/cgroup/g/memory.max", "200000000\n");
        }),
        Some((200_000_000, "g/memory.max".into()))
    );
    // Garbage: skipped, the next valid level up counts; a path leaving the root is ignored.
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", "0::/a\n");
            put(r, "sys/fs/cgroup/a/memory.max", "lots\n");
            put(r, "sys/fs/cgroup/memory.max", "-5\n");
        }),
        None
    );
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", "0::/a\n");
            put(r, "sys/fs/cgroup/a/memory.max", "\u{0}\u{1}garbage");
            put(r, "sys/fs/cgroup/memory.max", "4096\n");
        }),
        Some((4096, "memory.max".into()))
    );
    assert_eq!(
        t(&|r| {
            put(r, "proc/self/cgroup", "0::/../../etc\n");
            put(r, "sys/fs/cgroup/memory.max", "4096\n");
        }),
        None
    );
    // No /proc/self/cgroup, or garbage in it: no limit.
    assert_eq!(t(&|_| {}), None);
    assert_eq!(
        t(&|r| put(r, "proc/self/cgroup", "nonsense\n\n::::\n")),
        None
    );
}

#[test]
fn run_and_exits_refuse_with_exit_5_under_a_cgroup_limit_below_their_need() {
    let tmp = TempDir::new().unwrap();
    let r = tmp.path();
    put(r, "proc/self/cgroup", "0::/bot\n");
    put(r, "sys/fs/cgroup/bot/memory.max", "8388608\n");
    put(r, "sys/fs/cgroup/memory.max", "max\n");
    let roots = format!("{}:{}", r.join("proc").display(), r.join("sys").display());
    let entries = r.join("e.csv");
    fs::write(
        &entries,
        "symbol,time,direction\nSYNBTCUSDT,1704153600000,long\n",
    )
    .unwrap();
    let out = r.join("out");
    let mut run = run_cmd(&out, &["--threads".into(), "1".into()]);
    let mut exits = std::process::Command::new(BIN);
    exits
        .args(["exits", "--quiet", "--tp", "1", "--entries"])
        .arg(&entries)
        .arg("--out")
        .arg(&out);
    for (name, cmd) in [("run", &mut run), ("exits", &mut exits)] {
        cmd.env("PHASEBOUND_CGROUP_ROOTS", &roots);
        let o = output(std::mem::replace(cmd, std::process::Command::new("true")));
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(5), "{name}: {e}");
        assert!(
            e.contains("the container's memory limit (cgroup")
                && e.contains("bot/memory.max")
                && e.contains("8.0 MiB (8388608 bytes)")
                && e.contains("this run needs"),
            "{name}: {e}"
        );
    }
    // The same with the limit raised to 1 GiB: both run.
    put(r, "sys/fs/cgroup/bot/memory.max", "1073741824\n");
    let o = output({
        let mut c = run_cmd(&out, &["--threads".into(), "1".into()]);
        c.env("PHASEBOUND_CGROUP_ROOTS", &roots);
        c
    });
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
