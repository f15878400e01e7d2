//! `phasebound download` against a local HTTP server on 127.0.0.1 serving Binance's
//! public-data layout: files fetched and verified, resumed without refetching, a 404
//! month reported, wrong checksums, truncated transfers, scheme-changing redirects and
//! oversized responses refused without leaving a partial file, paths confined to
//! `--dest`. The real-data test builds the served zips from `../shared/data/raw-monthly/`.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tempfile::TempDir;

use crate::cli::{Files, Out, phasebound};
use crate::pipeline::shared_data;
use crate::zips::{Entry, sha256_hex, zip_bytes};

/// What the server answers for one path.
#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    /// The first `times` answers announce the whole body but send half of it.
    Truncated {
        body: Vec<u8>,
        times: u32,
    },
    Redirect(String),
    /// A 200 announcing this many bytes, then closing.
    Announce(u64),
}

/// A minimal HTTP/1.1 server: one connection at a time, `Connection: close`,
/// 404 for every path it was not given.
struct Server {
    base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, l) = (Arc::clone(&routes), Arc::clone(&log));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let path = request.split(' ').nth(1).unwrap_or("").to_owned();
                l.lock().unwrap().push(path.clone());
                let reply = {
                    let mut routes = r.lock().unwrap();
                    let reply = routes.get(&path).cloned();
                    if let Some(Reply::Truncated { body, times }) = &reply {
                        let next = if *times > 1 {
                            Reply::Truncated {
                                body: body.clone(),
                                times: times - 1,
                            }
                        } else {
                            Reply::Body(body.clone())
                        };
                        routes.insert(path.clone(), next);
                    }
                    reply
                };
                let head = |status: &str, len: u64, extra: &str| {
                    format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {len}\r\n{extra}Connection: close\r\n\r\n"
                    )
                };
                let _ = match reply {
                    None => stream.write_all(head("404 Not Found", 0, "").as_bytes()),
                    Some(Reply::Body(b)) => stream
                        .write_all(head("200 OK", b.len() as u64, "").as_bytes())
                        .and_then(|()| stream.write_all(&b)),
                    Some(Reply::Truncated { body, .. }) => stream
                        .write_all(head("200 OK", body.len() as u64, "").as_bytes())
                        .and_then(|()| stream.write_all(&body[..body.len() / 2])),
                    Some(Reply::Redirect(to)) => stream
                        .write_all(head("302 Found", 0, &format!("Location: {to}\r\n")).as_bytes()),
                    Some(Reply::Announce(n)) => stream.write_all(head("200 OK", n, "").as_bytes()),
                };
                let _ = stream.flush();
            }
        });
        Self { base, routes, log }
    }

    fn serve(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_owned(), reply);
    }

    /// Serves `zip` and a correct `.CHECKSUM` at `dir/name`.
    fn serve_zip(&self, dir: &str, name: &str, zip: &[u8]) {
        self.serve(&format!("{dir}/{name}"), Reply::Body(zip.to_vec()));
        self.serve(
            &format!("{dir}/{name}.CHECKSUM"),
            Reply::Body(format!("{}  {name}\n", sha256_hex(zip)).into_bytes()),
        );
    }

    fn requests(&self, path: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

const SPOT: &str = "/data/spot/monthly/klines/BTCUSDT/15m";

fn download(server: &Server, dest: &Path, range: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "download",
        "--symbols",
        "BTCUSDT",
        "--timeframe",
        "15m",
        "--timerange",
        range,
        "--dest",
        dest.to_str().unwrap(),
        "--base-url",
        &server.base,
        "--retry-delay-ms",
        "5",
    ];
    args.extend_from_slice(extra);
    phasebound(&args, dest.parent().unwrap())
}

/// Files left in `dir` other than the given names (temporaries, partial files).
fn others(dir: &Path, expected: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !expected.contains(&n.as_str()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn download_fetches_verifies_resumes_and_runs_like_the_csv_files() {
    let test = "download_fetches_verifies_resumes_and_runs_like_the_csv_files";
    let Some(data) = shared_data(test) else {
        return;
    };
    let raw = data.join("raw-monthly");
    let server = Server::start();
    let mut zips = HashMap::new();
    for m in ["03", "04"] {
        let csv = fs::read(raw.join(format!("binance-spot-BTCUSDT-15m-2024-{m}.csv"))).unwrap();
        let name = format!("BTCUSDT-15m-2024-{m}.zip");
        let zip = zip_bytes(&[Entry::deflated(&format!("BTCUSDT-15m-2024-{m}.csv"), &csv)]);
        server.serve_zip(SPOT, &name, &zip);
        zips.insert(name, zip);
    }
    let tmp = TempDir::new().unwrap();
    let dest = tmp.path().join("dest");
    // February is not served: reported, not fatal.
    let o = download(&server, &dest, "20240201-20240501", &[]);
    o.expect_code(0);
    assert!(
        o.stdout.contains("download: 2 downloaded (")
            && o.stdout
                .contains("0 already present, 1 not published, 0 failed"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("not published: BTCUSDT-15m-2024-02.zip"),
        "{}",
        o.stdout
    );
    let local = dest.join("data/spot/monthly/klines/BTCUSDT/15m");
    for (name, zip) in &zips {
        assert!(fs::read(local.join(name)).unwrap() == *zip, "{name}");
        let sum = fs::read_to_string(local.join(format!("{name}.CHECKSUM"))).unwrap();
        assert_eq!(sum, format!("{}  {name}\n", sha256_hex(zip)));
    }
    assert_eq!(
        others(
            &local,
            &[
                "BTCUSDT-15m-2024-03.zip",
                "BTCUSDT-15m-2024-03.zip.CHECKSUM",
                "BTCUSDT-15m-2024-04.zip",
                "BTCUSDT-15m-2024-04.zip.CHECKSUM"
            ]
        ),
        Vec::<String>::new()
    );
    assert!(
        o.stdout.contains(&format!(
            "run on it: phasebound run --data {}",
            local.display()
        )),
        "{}",
        o.stdout
    );

    // Again: nothing is fetched for the files present and verified.
    let before = server.requests(&format!("{SPOT}/BTCUSDT-15m-2024-03.zip"));
    let o = download(&server, &dest, "20240201-20240501", &["--quiet"]);
    o.expect_code(0);
    assert!(
        o.stdout
            .contains("0 downloaded (0 bytes), 2 already present, 1 not published"),
        "{}",
        o.stdout
    );
    for name in zips.keys() {
        assert_eq!(server.requests(&format!("{SPOT}/{name}")), 1, "{name}");
        assert_eq!(
            server.requests(&format!("{SPOT}/{name}.CHECKSUM")),
            1,
            "{name}"
        );
    }
    assert_eq!(before, 1);

    // A zip whose checksum file was lost: the checksum is fetched, the zip kept.
    fs::remove_file(local.join("BTCUSDT-15m-2024-04.zip.CHECKSUM")).unwrap();
    let o = download(&server, &dest, "20240301-20240501", &["--quiet"]);
    o.expect_code(0);
    assert!(
        o.stdout
            .contains("0 downloaded (0 bytes), 2 already present"),
        "{}",
        o.stdout
    );
    assert_eq!(
        server.requests(&format!("{SPOT}/BTCUSDT-15m-2024-04.zip")),
        1
    );

    // The downloaded folder runs like the unzipped monthly files.
    let t = tmp.path();
    let run = |out: &str, data: &[PathBuf]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "run".into(),
            "--quiet".into(),
            "--threads".into(),
            "1".into(),
            "--out".into(),
            out.into(),
            "--data".into(),
        ];
        args.extend(data.iter().map(|p| p.as_os_str().to_owned()));
        phasebound(&args, t).expect_code(0);
        Files::read(&t.join(out))
    };
    let a = run("out-zip", std::slice::from_ref(&local));
    let b = run(
        "out-csv",
        &[
            raw.join("binance-spot-BTCUSDT-15m-2024-03.csv"),
            raw.join("binance-spot-BTCUSDT-15m-2024-04.csv"),
        ],
    );
    assert!(a.params == b.params);
    let strip = |mut r: Value| {
        for i in r["run"]["inputs"].as_array_mut().unwrap() {
            i["files"] = Value::Null;
        }
        serde_json::to_string(&r).unwrap()
    };
    assert_eq!(strip(a.report()), strip(b.report()));
}

#[test]
fn download_refuses_bad_files_without_leaving_partial_ones() {
    let server = Server::start();
    let zip = zip_bytes(&[Entry::deflated("BTCUSDT-15m-2024-03.csv", &[b'1'; 5000])]);
    let name = "BTCUSDT-15m-2024-03.zip";
    let path = format!("{SPOT}/{name}");
    let tmp = TempDir::new().unwrap();
    let local = |dest: &Path| dest.join("data/spot/monthly/klines/BTCUSDT/15m");
    let range = "20240301-20240401";

    // A published checksum that does not match: retried, then exit 3 naming the file.
    let dest = tmp.path().join("wrong-sum");
    server.serve(&path, Reply::Body(zip.clone()));
    server.serve(
        &format!("{path}.CHECKSUM"),
        Reply::Body(format!("{}  {name}\n", sha256_hex(b"other")).into_bytes()),
    );
    let o = download(&server, &dest, range, &["--retries", "2"]);
    o.expect_code(3);
    assert!(
        o.stderr.contains(name) && o.stderr.contains("does not match the published"),
        "{}",
        o.stderr
    );
    assert_eq!(server.requests(&path), 3, "one try and two retries");
    assert_eq!(others(&local(&dest), &[]), Vec::<String>::new());

    // A transfer cut short every time: exit 4, nothing left behind.
    let dest = tmp.path().join("truncated");
    server.serve_zip(SPOT, name, &zip);
    server.serve(
        &path,
        Reply::Truncated {
            body: zip.clone(),
            times: 100,
        },
    );
    let o = download(&server, &dest, range, &["--retries", "1"]);
    o.expect_code(4);
    assert!(o.stderr.contains("transfer broken"), "{}", o.stderr);
    assert_eq!(others(&local(&dest), &[]), Vec::<String>::new());

    // Cut short once, then whole: the retry succeeds.
    let dest = tmp.path().join("retried");
    server.serve(
        &path,
        Reply::Truncated {
            body: zip.clone(),
            times: 1,
        },
    );
    let o = download(&server, &dest, range, &[]);
    o.expect_code(0);
    assert!(o.stderr.contains("retry 1 of 3"), "{}", o.stderr);
    assert!(fs::read(local(&dest).join(name)).unwrap() == zip);

    // A redirect within the base URL's scheme is followed; one to another scheme is not.
    let dest = tmp.path().join("redirect-ok");
    server.serve("/mirror/x.zip", Reply::Body(zip.clone()));
    server.serve(&path, Reply::Redirect("/mirror/x.zip".into()));
    download(&server, &dest, range, &[]).expect_code(0);
    assert!(fs::read(local(&dest).join(name)).unwrap() == zip);
    let dest = tmp.path().join("redirect-scheme");
    server.serve(&path, Reply::Redirect("https://127.0.0.1:9/x.zip".into()));
    let o = download(&server, &dest, range, &[]);
    o.expect_code(4);
    assert!(
        o.stderr
            .contains("refused a redirect to https://127.0.0.1:9/x.zip"),
        "{}",
        o.stderr
    );
    assert_eq!(others(&local(&dest), &[]), Vec::<String>::new());

    // A response announcing more than the size limit is refused before its body.
    let dest = tmp.path().join("huge");
    server.serve(&path, Reply::Announce(600 << 20));
    let o = download(&server, &dest, range, &[]);
    o.expect_code(4);
    assert!(
        o.stderr.contains("over the 536870912-byte limit"),
        "{}",
        o.stderr
    );
    assert_eq!(others(&local(&dest), &[]), Vec::<String>::new());

    // Symbols that are not letters and digits never become paths.
    for bad in ["../etc", "BTC/USDT", ""] {
        let dest = tmp.path().join("bad-symbol");
        let o = phasebound(
            &[
                "download",
                "--symbols",
                bad,
                "--timeframe",
                "15m",
                "--timerange",
                range,
                "--dest",
                dest.to_str().unwrap(),
                "--base-url",
                &server.base,
            ],
            tmp.path(),
        );
        o.expect_code(2);
        assert!(o.stderr.contains("is not a Binance symbol"), "{}", o.stderr);
        assert!(!dest.exists());
    }
    // Nothing published at all for the request: a usage error.
    let dest = tmp.path().join("nothing");
    let o = download(&server, &dest, "20230101-20230201", &[]);
    o.expect_code(2);
    assert!(o.stderr.contains("nothing is published"), "{}", o.stderr);
}

#[test]
fn download_takes_monthly_files_then_daily_files_of_the_current_month() {
    let server = Server::start();
    let tmp = TempDir::new().unwrap();
    let dest = tmp.path().join("dest");
    let um = "/data/futures/um";
    let zip = zip_bytes(&[Entry::deflated("x.csv", b"1")]);
    server.serve_zip(
        &format!("{um}/monthly/klines/BTCUSDT/15m"),
        "BTCUSDT-15m-2024-03.zip",
        &zip,
    );
    for d in ["01", "02"] {
        server.serve_zip(
            &format!("{um}/daily/klines/BTCUSDT/15m"),
            &format!("BTCUSDT-15m-2024-04-{d}.zip"),
            &zip,
        );
    }
    // Today 2024-04-03: March monthly, then April 1 and 2 (today's is not published).
    let o = download(
        &server,
        &dest,
        "20240315-",
        &["--market", "um", "--today", "20240403", "--quiet"],
    );
    o.expect_code(0);
    assert!(o.stdout.contains("download: 3 downloaded"), "{}", o.stdout);
    assert!(o.stdout.contains("0 not published"), "{}", o.stdout);
    let log = server.log.lock().unwrap().clone();
    assert!(
        !log.iter()
            .any(|p| p.contains("2024-04-03") || p.contains("2024-04.zip")),
        "{log:?}"
    );
    assert!(
        dest.join("data/futures/um/daily/klines/BTCUSDT/15m/BTCUSDT-15m-2024-04-02.zip")
            .is_file()
    );
}
