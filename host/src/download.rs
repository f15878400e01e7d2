//! `phasebound download`: Binance public kline data (spot and USDT-M futures) as the
//! zip files Binance publishes, checksums verified, resumable.
//!
//! For each symbol: the monthly file of every month of the range before the current
//! one, then the daily files of the current month up to yesterday (today's is not
//! published yet). Files go to the public-data tree under `--dest`:
//! `data/{spot,futures/um}/{monthly,daily}/klines/SYMBOL/TF/SYMBOL-TF-YYYY-MM[-DD].zip`,
//! each with its `.CHECKSUM` beside it, which `run` verifies again.
//!
//! - **Verified**: the `.CHECKSUM` is fetched first; the zip is streamed to a temporary
//!   file beside its target while hashed, synced, and renamed into place only when its
//!   SHA-256 matches; then the checksum file is written (also temporary, then renamed).
//!   So a file under its final name is complete and verified.
//! - **Resumable**: a zip already present whose `.CHECKSUM` (local, or fetched when
//!   missing) matches is not fetched again.
//! - **Retries**: transport errors, truncated transfers, HTTP 429/5xx and checksum
//!   mismatches are retried `--retries` times with exponential backoff.
//! - **Missing files** (HTTP 404: a month Binance did not publish) are reported, not
//!   fatal.
//! - **Bounded**: a zip over [`MAX_ZIP_BYTES`] or a checksum over 4 KiB is refused,
//!   from its `Content-Length` or while it streams; memory is one copy buffer.
//! - **Confined**: symbols must be letters and digits and the timeframe one of the
//!   supported ones, so every path stays under `--dest`; redirects are followed by hand
//!   (at most 5) and must keep the base URL's scheme, so an `https` base never
//!   follows a redirect to plain `http`.
//!
//! The HTTP client is `ureq` (blocking, pure Rust, TLS by `rustls`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::data::{self, TimeRange};
use crate::error::AppError;

/// Binance's public-data host, the default `--base-url`.
pub const DEFAULT_BASE_URL: &str = "https://data.binance.vision";
/// Largest zip accepted, bytes (a month of 1m klines is about 3 MB zipped).
pub const MAX_ZIP_BYTES: u64 = 512 << 20;
/// Largest `.CHECKSUM` accepted, bytes.
const MAX_CHECKSUM_BYTES: u64 = 4096;
/// Redirects followed per request.
const MAX_REDIRECTS: u32 = 5;
const DAY_MS: i64 = 86_400_000;

/// The market of `--market`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Market {
    /// Spot.
    Spot,
    /// USDT-M futures.
    Um,
}

impl Market {
    fn path(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::Um => "futures/um",
        }
    }
}

/// Arguments of `download`.
#[derive(Debug, clap::Args)]
pub struct DownloadArgs {
    /// Symbols, comma-separated (BTCUSDT,ETHUSDT).
    #[arg(long, value_delimiter = ',', required = true)]
    pub symbols: Vec<String>,
    /// Timeframe (1m … 1d).
    #[arg(long)]
    pub timeframe: String,
    /// START-END as YYYYMMDD-YYYYMMDD (END excluded; without END: up to yesterday).
    #[arg(long, value_name = "START-END", allow_hyphen_values = true)]
    pub timerange: String,
    /// spot or um (USDT-M futures).
    #[arg(long, value_enum, default_value = "spot")]
    pub market: Market,
    /// Folder the public-data tree is written under.
    #[arg(long, default_value = "binance-data")]
    pub dest: PathBuf,
    /// Where the public data is served (for mirrors and tests).
    #[arg(long, default_value = DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Retries of a failed file.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// No progress lines.
    #[arg(long, short)]
    pub quiet: bool,
    /// Today's date (tests).
    #[arg(long, hide = true)]
    pub today: Option<String>,
    /// First retry delay, ms (doubles each retry).
    #[arg(long, hide = true, default_value_t = 1000)]
    pub retry_delay_ms: u64,
}

/// Validated `download` options.
#[derive(Clone, Debug)]
pub struct DownloadOptions {
    /// Canonical symbols.
    pub symbols: Vec<String>,
    /// Timeframe label (`15m`).
    pub timeframe: String,
    /// First day, midnight UTC ms.
    pub from: i64,
    /// End (excluded), midnight UTC ms, if given.
    pub to: Option<i64>,
    /// Market.
    pub market: Market,
    /// Destination folder.
    pub dest: PathBuf,
    /// Base URL without a trailing `/`.
    pub base_url: String,
    /// Retries per file.
    pub retries: u32,
    /// Progress lines on stderr.
    pub progress: bool,
    /// Today, midnight UTC ms.
    pub today: i64,
    /// First retry delay.
    pub retry_delay: Duration,
}

impl DownloadArgs {
    /// Checks symbols, timeframe, range and base URL.
    ///
    /// # Errors
    /// Usage errors (exit 2).
    pub fn validate(self) -> Result<DownloadOptions, AppError> {
        let usage = |m: String| AppError::Usage(m);
        let mut symbols = Vec::new();
        for s in &self.symbols {
            let ok = !s.is_empty() && s.len() <= 30 && s.bytes().all(|b| b.is_ascii_alphanumeric());
            if !ok {
                return Err(usage(format!(
                    "--symbols: '{s}' is not a Binance symbol (letters and digits, like BTCUSDT)"
                )));
            }
            symbols.push(s.to_ascii_uppercase());
        }
        if data::parse_timeframe(&self.timeframe).is_none() {
            return Err(usage(format!(
                "--timeframe '{}' is not one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d",
                self.timeframe
            )));
        }
        let range = TimeRange::parse(&self.timerange)
            .map_err(|p| usage(format!("--timerange '{}': {p}", self.timerange)))?;
        let Some(from) = range.from else {
            return Err(usage(format!(
                "--timerange '{}': download needs a start date",
                self.timerange
            )));
        };
        let base = self.base_url.trim_end_matches('/').to_owned();
        let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
        if !scheme_ok || base.contains(['?', '#', ' ']) {
            return Err(usage(format!(
                "--base-url '{}' is not an http:// or https:// URL",
                self.base_url
            )));
        }
        let today = match &self.today {
            Some(t) => data::parse_yyyymmdd(t).map_err(|p| usage(format!("--today: {p}")))?,
            None => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                now - now.rem_euclid(DAY_MS)
            }
        };
        Ok(DownloadOptions {
            symbols,
            timeframe: self.timeframe,
            from,
            to: range.to,
            market: self.market,
            dest: self.dest,
            base_url: base,
            retries: self.retries,
            progress: !self.quiet,
            today,
            retry_delay: Duration::from_millis(self.retry_delay_ms),
        })
    }
}

/// One file to fetch: `YYYY-MM` (monthly) or `YYYY-MM-DD` (daily).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// The date part of the file name.
    pub label: String,
    /// A daily file.
    pub daily: bool,
}

/// The files for `[from, to)` as of `today` (see the module docs).
#[must_use]
pub fn plan(from: i64, to: Option<i64>, today: i64) -> Vec<Period> {
    let end = to.map_or(today, |t| t.min(today));
    let month_start = |ms: i64| {
        let (y, m, _) = data::civil_from_ms(ms);
        data::ms_from_civil(y, m, 1).unwrap_or(ms)
    };
    let next_month = |ms: i64| {
        let (y, m, _) = data::civil_from_ms(ms);
        let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        data::ms_from_civil(y, m, 1).unwrap_or(i64::MAX)
    };
    let current = month_start(today);
    let mut out = Vec::new();
    let mut m = month_start(from);
    while m < end {
        let next = next_month(m);
        if next <= current {
            let (y, mo, _) = data::civil_from_ms(m);
            out.push(Period {
                label: format!("{y:04}-{mo:02}"),
                daily: false,
            });
        } else {
            let mut d = from.max(m);
            while d < end.min(next) {
                let (y, mo, day) = data::civil_from_ms(d);
                out.push(Period {
                    label: format!("{y:04}-{mo:02}-{day:02}"),
                    daily: true,
                });
                d += DAY_MS;
            }
        }
        m = next;
    }
    out
}

/// What became of one file.
#[derive(Debug)]
enum Outcome {
    Downloaded(u64),
    Present,
    Missing,
    Failed { code: u8, detail: String },
}

/// Why one attempt failed.
enum Failure {
    Missing,
    Retry(String),
    Fatal(String),
    Checksum(String),
}

struct Client {
    agent: ureq::Agent,
    scheme: &'static str,
}

fn origin_and_dir(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let origin_end = url
        .get(after_scheme..)
        .and_then(|r| r.find('/'))
        .map_or(url.len(), |i| after_scheme + i);
    let dir_end = url
        .rfind('/')
        .filter(|&i| i >= origin_end)
        .map_or(url.len(), |i| i + 1);
    (
        url.get(..origin_end).unwrap_or(url),
        url.get(..dir_end).unwrap_or(url),
    )
}

fn resolve(url: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_owned()
    } else if location.starts_with('/') {
        format!("{}{location}", origin_and_dir(url).0)
    } else {
        let dir = origin_and_dir(url).1;
        let sep = if dir.ends_with('/') { "" } else { "/" };
        format!("{dir}{sep}{location}")
    }
}

impl Client {
    fn new(base_url: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_recv_body(Some(Duration::from_secs(600)))
            .user_agent(concat!("phasebound/", env!("CARGO_PKG_VERSION")))
            .build();
        let scheme = if base_url.starts_with("https://") {
            "https"
        } else {
            "http"
        };
        Self {
            agent: config.into(),
            scheme,
        }
    }

    /// GET `url`, redirects followed by hand; the body of a 200 response.
    fn get(&self, url: &str, max: u64) -> Result<ureq::Body, Failure> {
        let mut url = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let resp = self
                .agent
                .get(&url)
                .call()
                .map_err(|e| Failure::Retry(format!("{url}: {e}")))?;
            let status = resp.status().as_u16();
            match status {
                200 => {
                    let body = resp.into_body();
                    if let Some(len) = body.content_length().filter(|&l| l > max) {
                        return Err(Failure::Fatal(format!(
                            "{url}: {len} bytes announced, over the {max}-byte limit"
                        )));
                    }
                    return Ok(body);
                }
                301 | 302 | 303 | 307 | 308 => {
                    let location = resp
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .ok_or_else(|| {
                            Failure::Fatal(format!("{url}: HTTP {status} without a Location"))
                        })?;
                    let next = resolve(&url, location);
                    if !next.starts_with(&format!("{}://", self.scheme)) {
                        return Err(Failure::Fatal(format!(
                            "{url}: refused a redirect to {next}: it leaves the base URL's scheme ({})",
                            self.scheme
                        )));
                    }
                    url = next;
                }
                404 => return Err(Failure::Missing),
                429 | 500..=599 => return Err(Failure::Retry(format!("{url}: HTTP {status}"))),
                _ => return Err(Failure::Fatal(format!("{url}: HTTP {status}"))),
            }
        }
        Err(Failure::Fatal(format!(
            "{url}: more than {MAX_REDIRECTS} redirects"
        )))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex(&hasher.finalize()))
}

/// Temporary path beside `target`, unique to this process.
fn temp_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.part-{}", std::process::id()))
}

/// Removes the temporary file unless it was renamed.
struct Temp(PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

struct Job<'a> {
    opts: &'a DownloadOptions,
    client: &'a Client,
}

impl Job<'_> {
    /// The expected SHA-256 from the server's `.CHECKSUM`.
    fn fetch_checksum(&self, url: &str) -> Result<String, Failure> {
        let body = self.client.get(url, MAX_CHECKSUM_BYTES)?;
        let mut text = String::new();
        body.into_with_config()
            .limit(MAX_CHECKSUM_BYTES)
            .reader()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Retry(format!("{url}: {e}")))?;
        data::archive::parse_checksum(&text)
            .ok_or_else(|| Failure::Fatal(format!("{url}: not a checksum file")))
    }

    /// Streams `url` into `target` through a temporary file, if its SHA-256 is `expected`.
    fn fetch_zip(&self, url: &str, target: &Path, expected: &str) -> Result<u64, Failure> {
        let body = self.client.get(url, MAX_ZIP_BYTES)?;
        let temp = Temp(temp_beside(target));
        let io_fatal = |e: io::Error| Failure::Fatal(format!("{}: {e}", temp.0.display()));
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp.0)
            .map_err(io_fatal)?;
        let mut reader = body.into_with_config().limit(MAX_ZIP_BYTES).reader();
        let mut hasher = Sha256::new();
        let mut buf = vec![0_u8; 64 * 1024];
        let mut total = 0_u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Failure::Retry(format!(
                        "{url}: transfer broken after {total} bytes ({e})"
                    )));
                }
            };
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            file.write_all(chunk).map_err(io_fatal)?;
            total += n as u64;
        }
        let got = hex(&hasher.finalize());
        if got != expected {
            return Err(Failure::Checksum(format!(
                "{url}: SHA-256 {got} of the {total} bytes received does not match the published {expected}"
            )));
        }
        file.sync_all().map_err(io_fatal)?;
        drop(file);
        fs::rename(&temp.0, target).map_err(io_fatal)?;
        Ok(total)
    }

    /// One attempt at one file.
    fn attempt(&self, dir_url: &str, target: &Path, name: &str) -> Result<Outcome, Failure> {
        let sum_target = data::archive::checksum_path(target);
        let expected = self.fetch_checksum(&format!("{dir_url}{name}.CHECKSUM"))?;
        let write_sum = || {
            crate::output::write_atomic(&sum_target, format!("{expected}  {name}\n").as_bytes())
                .map_err(|e| Failure::Fatal(format!("{}: {e}", sum_target.display())))
        };
        if target.is_file() && sha256_file(target).is_ok_and(|h| h == expected) {
            write_sum()?;
            return Ok(Outcome::Present);
        }
        let bytes = self.fetch_zip(&format!("{dir_url}{name}"), target, &expected)?;
        write_sum()?;
        Ok(Outcome::Downloaded(bytes))
    }

    fn file(&self, dir_url: &str, target: &Path, name: &str) -> Outcome {
        // Present and verified against the local checksum: no request at all.
        let sum = data::archive::checksum_path(target);
        if let (Ok(text), Ok(hash)) = (fs::read_to_string(&sum), sha256_file(target))
            && data::archive::parse_checksum(&text).is_some_and(|e| e == hash)
        {
            return Outcome::Present;
        }
        let mut delay = self.opts.retry_delay;
        let mut attempt = 0;
        loop {
            let (code, detail) = match self.attempt(dir_url, target, name) {
                Ok(outcome) => return outcome,
                Err(Failure::Missing) => return Outcome::Missing,
                Err(Failure::Fatal(d)) => {
                    return Outcome::Failed { code: 4, detail: d };
                }
                Err(Failure::Retry(d)) => (4, d),
                Err(Failure::Checksum(d)) => (3, d),
            };
            if attempt >= self.opts.retries {
                return Outcome::Failed { code, detail };
            }
            attempt += 1;
            if self.opts.progress {
                eprintln!(
                    "  {name}: {detail}; retry {attempt} of {} in {delay:?}",
                    self.opts.retries
                );
            }
            std::thread::sleep(delay);
            delay = delay.saturating_mul(2);
        }
    }
}

/// What `download` did.
#[derive(Debug)]
pub struct DownloadOutcome {
    /// The summary for stdout.
    pub summary: String,
}

/// Runs `phasebound download`.
///
/// # Errors
/// A file that failed after its retries (exit 3 for a checksum mismatch, else 4),
/// nothing published at all for the request (exit 2), or I/O errors on `--dest`.
pub fn run(opts: &DownloadOptions) -> Result<DownloadOutcome, AppError> {
    let client = Client::new(&opts.base_url);
    let job = Job {
        opts,
        client: &client,
    };
    let periods = plan(opts.from, opts.to, opts.today);
    if periods.is_empty() {
        return Err(AppError::Usage(
            "--timerange: no published file lies in this range yet (files run up to yesterday)"
                .into(),
        ));
    }
    let tf = &opts.timeframe;
    let (mut downloaded, mut present, mut bytes) = (0_u64, 0_u64, 0_u64);
    let mut missing: Vec<String> = Vec::new();
    let mut failed: Vec<(u8, PathBuf, String)> = Vec::new();
    let mut folders: Vec<PathBuf> = Vec::new();
    for symbol in &opts.symbols {
        for period in &periods {
            let kind = if period.daily { "daily" } else { "monthly" };
            let rel = format!("data/{}/{kind}/klines/{symbol}/{tf}", opts.market.path());
            let dir = opts.dest.join(&rel);
            fs::create_dir_all(&dir).map_err(|e| AppError::io(&dir, e))?;
            if !folders.contains(&dir) {
                folders.push(dir.clone());
            }
            let name = format!("{symbol}-{tf}-{}.zip", period.label);
            let dir_url = format!("{}/{rel}/", opts.base_url);
            let outcome = job.file(&dir_url, &dir.join(&name), &name);
            let line = match &outcome {
                Outcome::Downloaded(n) => {
                    downloaded += 1;
                    bytes += n;
                    format!("{name}: downloaded, {n} bytes, checksum verified")
                }
                Outcome::Present => {
                    present += 1;
                    format!("{name}: already present, checksum verified")
                }
                Outcome::Missing => {
                    missing.push(name.clone());
                    format!("{name}: not published (HTTP 404)")
                }
                Outcome::Failed { code, detail } => {
                    failed.push((*code, dir.join(&name), detail.clone()));
                    format!("{name}: FAILED: {detail}")
                }
            };
            if opts.progress {
                eprintln!("{line}");
            }
        }
    }
    let mut summary = format!(
        "download: {downloaded} downloaded ({bytes} bytes), {present} already present, {} not published, {} failed\n",
        missing.len(),
        failed.len()
    );
    if !missing.is_empty() {
        summary.push_str(&format!("not published: {}\n", missing.join(", ")));
    }
    if let Some((code, path, detail)) = failed.first() {
        let more = match failed.len() {
            1 => String::new(),
            n => format!(" (and {} more failed file(s); see above)", n - 1),
        };
        let message = format!("{detail}{more}");
        return Err(if *code == 3 {
            AppError::Data(data::DataError::new(
                path,
                data::DataErrorKind::Archive {
                    detail: format!("download failed its checksum: {message}"),
                },
            ))
        } else {
            AppError::io(path, io::Error::other(message))
        });
    }
    if downloaded + present == 0 {
        return Err(AppError::Usage(format!(
            "nothing is published for {} {tf} ({:?}) in this range: check the symbols, market and --timerange",
            opts.symbols.join(","),
            opts.market
        )));
    }
    let list: Vec<String> = folders.iter().map(|f| f.display().to_string()).collect();
    summary.push_str(&format!(
        "run on it: phasebound run --data {}\n",
        list.join(" ")
    ));
    Ok(DownloadOutcome { summary })
}
