//! From command-line inputs (files and folders) to series.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{DataError, DataErrorKind};
use super::file::BarFile;
use super::merge::TimeRange;
use super::naming::{
    FileName, is_supported_timeframe, normalize_symbol, parse_file_name, timeframe_label,
};
use super::series::{BarPolicy, SeriesSpec};

/// Options that override what file names say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// Symbol of every input (sensible for one file or one symbol's monthly files).
    pub symbol: Option<String>,
    /// Timeframe in minutes: selects files of this timeframe in folders, and
    /// applies to files whose names carry none.
    pub timeframe: Option<u32>,
}

/// Extensions of data files picked up in folders (case-insensitive).
const DATA_EXTENSIONS: [&str; 3] = ["csv", "json", "zip"];

/// phasebound's own outputs, never taken as data from a folder: `--out` may be the
/// data folder (then `params.json` would otherwise be read as klines every night).
const OWN_OUTPUTS: [&str; 6] = [
    "report.json",
    "params.json",
    "run.json",
    "exits.csv",
    "trades.csv",
    "exits.shard.json",
];

struct Candidate {
    path: PathBuf,
    name: FileName,
}

/// Finds the series in `inputs`.
///
/// Each input is a data file (any name and extension; the layout is detected
/// from the contents) or a folder, whose `.csv`, `.json` and `.zip` files are taken
/// (not its subfolders; hidden files, `README*` and phasebound's own outputs such as
/// `params.json` are skipped). Symbol and
/// timeframe come from file names (see [`super::naming`]) or `opts`. With
/// `opts.timeframe`, folder files of other timeframes are left out, and an
/// explicitly named file of another timeframe is an error. Files of one symbol
/// and timeframe (e.g. monthly files) form one series, ordered by their first
/// timestamp; files with the same first timestamp overlap. Each file's timestamp
/// unit is detected on its own (Binance spot files moved from ms to µs on
/// 2025-01-01). All series must share one timeframe, and the files of one
/// series one market: a path naming spot and another naming futures (by a
/// folder or name token `spot`, `futures`, `um`, `cm`) for the same symbol is
/// an error rather than one series of two instruments.
/// The result is sorted by symbol. Only the first row of each file is read.
///
/// # Errors
/// Usage errors (missing path, no usable files, unknown timeframe or symbol,
/// conflicting options, several timeframes) and the data errors of the first
/// rows. The number of series is not limited here: that is the engine's
/// capacity, checked by the caller.
pub fn discover(inputs: &[PathBuf], opts: &DiscoverOptions) -> Result<Vec<SeriesSpec>, DataError> {
    if let Some(tf) = opts.timeframe.filter(|&tf| !is_supported_timeframe(tf)) {
        return Err(DataError::new(
            PathBuf::new(),
            DataErrorKind::UnknownTimeframe {
                name: timeframe_label(tf),
            },
        ));
    }
    let symbol_override = match &opts.symbol {
        Some(s) => Some(normalize_symbol(s).ok_or_else(|| {
            DataError::new(
                PathBuf::new(),
                DataErrorKind::InvalidSymbol { name: s.clone() },
            )
        })?),
        None => None,
    };
    if inputs.is_empty() {
        return Err(DataError::new(
            PathBuf::new(),
            DataErrorKind::NoUsableFiles {
                detail: "no data files or folders given".to_owned(),
            },
        ));
    }

    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::NotFound {
                DataErrorKind::NotFound
            } else {
                DataErrorKind::Io(e)
            };
            DataError::new(input, kind)
        })?;
        let found = if meta.is_dir() {
            folder_files(input, opts.timeframe)?
        } else {
            let name = parse_file_name(&input.to_string_lossy());
            if let (Some(file_minutes), Some(requested_minutes)) =
                (name.timeframe_minutes, opts.timeframe)
                && file_minutes != requested_minutes
            {
                return Err(DataError::new(
                    input,
                    DataErrorKind::TimeframeConflict {
                        file_minutes,
                        requested_minutes,
                    },
                ));
            }
            vec![Candidate {
                path: input.clone(),
                name,
            }]
        };
        for c in found {
            // The same file named twice (a folder and a file in it) is read once.
            let key = fs::canonicalize(&c.path).unwrap_or_else(|_| c.path.clone());
            if seen.insert(key) {
                candidates.push(c);
            }
        }
    }

    struct Member {
        path: PathBuf,
        first_time: i64,
        market: Option<&'static str>,
    }
    let mut groups: BTreeMap<(String, u32), Vec<Member>> = BTreeMap::new();
    let mut first_symbol: Option<String> = None;
    for Candidate { path, name } in candidates {
        let Some(minutes) = name.timeframe_minutes.or(opts.timeframe) else {
            return Err(DataError::new(
                &path,
                DataErrorKind::UnknownTimeframe {
                    name: file_name_of(&path),
                },
            ));
        };
        let symbol = match (&symbol_override, name.symbol) {
            (Some(forced), named) => {
                if let Some(named) = named {
                    match &first_symbol {
                        Some(first) if *first != named => {
                            return Err(DataError::new(
                                &path,
                                DataErrorKind::SymbolConflict {
                                    first: first.clone(),
                                    second: named,
                                },
                            ));
                        }
                        Some(_) => {}
                        None => first_symbol = Some(named),
                    }
                }
                forced.clone()
            }
            (None, Some(named)) => named,
            (None, None) => return Err(DataError::new(&path, DataErrorKind::NoSymbol)),
        };
        let mut file = BarFile::open(&path)?;
        let first_time = match file.next_bar()? {
            Some(bar) => bar.time,
            None => return Err(DataError::new(&path, DataErrorKind::Empty)),
        };
        groups.entry((symbol, minutes)).or_default().push(Member {
            market: market_of(&path),
            path,
            first_time,
        });
    }

    let mut specs = Vec::with_capacity(groups.len());
    for ((symbol, timeframe_minutes), mut members) in groups {
        members.sort_by_key(|m| m.first_time);
        let mut known = members.iter().filter_map(|m| Some((m.market?, &m.path)));
        if let Some((first, first_file)) = known.next()
            && let Some((second, path)) = known.find(|(m, _)| *m != first)
        {
            return Err(DataError::new(
                path,
                DataErrorKind::MixedMarkets {
                    first,
                    first_file: first_file.clone(),
                    second,
                },
            ));
        }
        for pair in members.windows(2) {
            let [a, b] = pair else { continue };
            if a.first_time == b.first_time {
                return Err(DataError::new(
                    &b.path,
                    DataErrorKind::FilesOverlap {
                        previous: a.path.clone(),
                        previous_last: None,
                        first: b.first_time,
                    },
                ));
            }
        }
        if let Some(other) = specs
            .iter()
            .find(|s: &&SeriesSpec| s.timeframe_minutes != timeframe_minutes)
        {
            return Err(DataError::new(
                members.first().map(|m| m.path.clone()).unwrap_or_default(),
                DataErrorKind::MixedTimeframes {
                    first: other.timeframe_minutes,
                    second: timeframe_minutes,
                },
            ));
        }
        specs.push(SeriesSpec {
            symbol,
            timeframe_minutes,
            files: members.into_iter().map(|m| m.path).collect(),
            range: TimeRange::ALL,
            policy: BarPolicy::default(),
        });
    }
    Ok(specs)
}

/// The market a file's path names: `spot`, or `futures` for Binance's
/// `futures/um`, `futures/cm` folders and `-futures`, `binance-um-` style names.
/// `None` when the path says nothing (the layout cannot tell: Binance futures
/// files had no header row before 2022, like spot files).
fn market_of(path: &Path) -> Option<&'static str> {
    let mut market = None;
    for component in path.components() {
        let text = component.as_os_str().to_string_lossy().to_ascii_lowercase();
        let stem = text
            .rsplit_once('.')
            .map_or(text.as_str(), |(stem, _)| stem);
        for token in stem.split(['-', '_']) {
            match token {
                "spot" => market = Some("spot"),
                "futures" | "um" | "cm" => market = Some("futures"),
                _ => {}
            }
        }
    }
    market
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy())
        .into_owned()
}

/// The data files of one folder, sorted by name, filtered by timeframe.
fn folder_files(dir: &Path, timeframe: Option<u32>) -> Result<Vec<Candidate>, DataError> {
    let io = |e: std::io::Error| DataError::new(dir, DataErrorKind::Io(e));
    let mut files = Vec::new();
    let mut data_files = 0_usize;
    let mut dangling = Vec::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = file_name_of(&path);
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let is_data = extension.is_some_and(|e| DATA_EXTENSIONS.contains(&e.as_str()));
        if !is_data
            || name.starts_with('.')
            || name.to_ascii_lowercase().starts_with("readme")
            || OWN_OUTPUTS.contains(&name.as_str())
        {
            continue;
        }
        let parsed = parse_file_name(&name);
        // Follows symbolic links; folders named like data files are skipped, and so
        // are FIFOs and devices (never opened). A link to nothing is decided below.
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                dangling.push((path, parsed.timeframe_minutes));
                continue;
            }
            Err(e) => return Err(io(e)),
        }
        data_files += 1;
        if let (Some(want), Some(got)) = (timeframe, parsed.timeframe_minutes)
            && want != got
        {
            continue;
        }
        files.push(Candidate { path, name: parsed });
    }
    // A dangling link of another timeframe than the folder's is skipped like a file of
    // that timeframe would be; one that could belong to this run is an error naming it.
    let chosen = timeframe.or_else(|| {
        let mut tfs = files.iter().filter_map(|c| c.name.timeframe_minutes);
        let first = tfs.next()?;
        tfs.all(|t| t == first).then_some(first)
    });
    if let Some((path, _)) = dangling
        .into_iter()
        .find(|(_, tf)| chosen.is_none() || tf.is_none() || *tf == chosen)
    {
        return Err(DataError::new(path, DataErrorKind::DanglingLink));
    }
    if files.is_empty() {
        let detail = match timeframe {
            Some(tf) if data_files > 0 => format!(
                "none of the {data_files} .csv/.json/.zip files in this folder is of timeframe {} (subfolders are not searched)",
                timeframe_label(tf)
            ),
            _ => "no .csv, .json or .zip files in this folder (subfolders are not searched)"
                .to_owned(),
        };
        return Err(DataError::new(dir, DataErrorKind::NoUsableFiles { detail }));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
