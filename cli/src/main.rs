//! The `tidewater` command-line program: argument parsing (clap) and the commands of
//! `docs/cli.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod bench;
mod chart;
mod commands;
mod data;
mod drift;
mod follow;
mod output;
mod serve;
mod stream;

/// The default pipeline of `tidewater eval` with no arguments.
pub const DEFAULT_MODEL: &str = "standard_scaler|gaussian_nb";
/// The default data set of `tidewater eval` with no arguments.
pub const DEFAULT_DATASET: &str = "phishing";

/// What went wrong, and so the exit code: 2 for bad usage or input, 1 for a bug.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or bad input (exit 2).
    #[error("{0}")]
    Input(String),
    /// An internal error (exit 1).
    #[error("internal error: {0}")]
    Internal(String),
    /// The reader of stdout went away (`| head`): stop quietly, as Unix tools do.
    #[error("broken pipe")]
    BrokenPipe,
}

impl CliError {
    fn input(m: impl Into<String>) -> Self {
        CliError::Input(m.into())
    }
}

impl From<tidewater::Error> for CliError {
    fn from(e: tidewater::Error) -> Self {
        CliError::Input(e.to_string())
    }
}

#[derive(Parser)]
#[command(
    name = "tidewater",
    version,
    about = "Online and batch machine learning: one model type for both paths",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OnError {
    /// Stop at the first bad row (exit 2).
    Abort,
    /// Skip bad rows, count them in "skipped", leave the model as it was.
    Skip,
}

#[derive(Args, Clone)]
struct SourceArgs {
    /// Data file(s), read in order as one stream (.csv, .svm/.libsvm, .vw; `-` is standard
    /// input; a file without an extension is CSV). Repeat the flag or list several.
    #[arg(long = "data", value_name = "FILE", num_args = 1..)]
    data: Vec<PathBuf>,
    /// A shipped data set (see `tidewater list`).
    #[arg(long, value_name = "NAME", conflicts_with = "data")]
    dataset: Option<String>,
    /// A stream generator spec, e.g. "agrawal(classification_function=2,seed=7)"; generators
    /// are infinite: --limit bounds them (default 100000 rows).
    #[arg(long, value_name = "SPEC", conflicts_with_all = ["data", "dataset"])]
    synth: Option<String>,
    /// File format, overriding the extension.
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Bits of the feature hash of LIBSVM and VW rows: their dimension is 2^B, VW indices are
    /// masked to B bits (as VW's `-b`). Default 18, or what a saved model learned with.
    #[arg(long, value_name = "B")]
    bits: Option<u32>,
    /// Stop after N rows (a generator: default 100000).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// The target column (default: the last column for supervised models). For a clusterer it
    /// is optional and only scores (`eval`'s `ari`), never a feature; without it every column
    /// is a feature (a shipped data set's own target column excepted).
    #[arg(long, value_name = "COL")]
    target: Option<String>,
    /// What to do with a bad row.
    #[arg(long, value_enum, default_value = "abort")]
    on_error: OnError,
}

#[derive(Subcommand)]
enum Command {
    /// Prequential evaluation: for each row predict, score, then learn.
    Eval {
        /// Model or pipeline spec.
        #[arg(long, value_name = "SPEC")]
        model: Option<String>,
        #[command(flatten)]
        source: SourceArgs,
        /// Rows in the rolling metrics' window.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        window: usize,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Wrap the model in drift retraining with this detector.
        #[arg(long, value_name = "DETECTOR")]
        retrain: Option<String>,
        /// Every N rows, one JSON line on stderr: rows, seconds, rows/s over the last N
        /// rows, resident memory (River's `print_every`, for long runs).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        print_every: Option<u64>,
        /// Write the learning curve (the rolling metric against rows, with `--retrain`'s
        /// events marked) to FILE.svg or FILE.png.
        #[arg(long, value_name = "FILE")]
        plot: Option<PathBuf>,
    },
    /// Several models on several sources, prequential: a table per source, results.json,
    /// results.md and a learning-curve chart per source in --out.
    Bench(bench::BenchArgs),
    /// Fit on the whole data set (batch path) and save the model.
    Fit {
        /// Model or pipeline spec.
        #[arg(long, value_name = "SPEC")]
        model: String,
        #[command(flatten)]
        source: SourceArgs,
        /// Where to save the model.
        #[arg(long, value_name = "MODEL")]
        save: PathBuf,
        /// Train on N workers of the in-process parameter server (threads; BSP): the same
        /// model as without it, for the models whose batch fit runs in rounds
        /// (logistic_regression, softmax_regression, linear_regression, ridge, kmeans).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024), conflicts_with = "hosts")]
        workers: Option<u32>,
        /// Train on timely-dataflow processes: a file of `host:port` lines, one per process
        /// in process order (every process runs the same command with its own --process).
        #[arg(long, value_name = "FILE", requires = "process")]
        hosts: Option<PathBuf>,
        /// This process's line in --hosts, from 0; process 0 writes --save.
        #[arg(long, value_name = "I", requires = "hosts")]
        process: Option<usize>,
        /// Seconds to wait for every process of --hosts to connect.
        #[arg(long, value_name = "S", default_value_t = 30.0, requires = "hosts")]
        connect_timeout: f64,
        /// With --hosts: each process's --data holds its own part of the rows (its own
        /// file), not all of them; the model is the fit of every part's rows, process 0's
        /// first, to rounding (logistic_regression, softmax_regression, linear_regression,
        /// ridge; the model alone, no transformers).
        #[arg(long, requires = "hosts")]
        own_rows: bool,
        /// With --workers or --hosts: train logistic_regression by mini-batch SGD rounds on
        /// the parameter server instead of L-BFGS, each worker (thread, or process) at most S
        /// rounds ahead of the slowest (0: BSP, a barrier every round).
        #[arg(long, value_name = "S", conflicts_with_all = ["checkpoint_every", "own_rows"])]
        staleness: Option<u64>,
        /// With --staleness: rows per mini-batch and worker.
        #[arg(long, value_name = "B", default_value_t = 256, requires = "staleness", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        batch_size: u64,
        /// With --staleness: passes over the rows.
        #[arg(long, value_name = "E", default_value_t = 1, requires = "staleness", value_parser = clap::value_parser!(u64).range(1..=10_000))]
        epochs: u64,
        /// With --workers or --hosts: save the optimiser's state every K iterations beside
        /// --save (`MODEL.<iteration>.ckpt`; `MODEL.p<I>.<iteration>.ckpt` per process).
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
        checkpoint_every: Option<u64>,
        /// Continue from the latest checkpoint of the same job (the same command with
        /// --resume added); without one, start from the beginning.
        #[arg(long, requires = "checkpoint_every")]
        resume: bool,
        /// One JSON object on stdout: rows read and skipped, seconds reading and training
        /// (with --workers, also the rounds and the workers).
        #[arg(long)]
        json: bool,
    },
    /// Learn row by row (stream path), from an empty or a saved model, and save it.
    Learn {
        /// Model or pipeline spec (starts empty).
        #[arg(
            long,
            value_name = "SPEC",
            required_unless_present = "load",
            conflicts_with = "load"
        )]
        model: Option<String>,
        /// A saved model to keep learning (warm start).
        #[arg(long, value_name = "MODEL")]
        load: Option<PathBuf>,
        #[command(flatten)]
        source: SourceArgs,
        /// Where to save the model (optional with --publish).
        #[arg(long, value_name = "MODEL", required_unless_present = "publish")]
        save: Option<PathBuf>,
        /// Keep reading the --data file as it grows (and across rotation by rename) until
        /// SIGINT or SIGTERM, then save, publish and exit 0.
        #[arg(long)]
        follow: bool,
        /// Publish the model as it learns: versions `DIR/<version>.tw` and a `DIR/LATEST`
        /// that names the newest (for `tidewater serve --model-dir DIR`).
        #[arg(long, value_name = "DIR")]
        publish: Option<PathBuf>,
        /// With --publish: a new version every N rows learned (default 1000 unless
        /// --every-secs is given).
        #[arg(long, value_name = "N", requires = "publish", value_parser = clap::value_parser!(u64).range(1..))]
        every: Option<u64>,
        /// With --publish: a new version at the first row learned S seconds or more after the
        /// last version.
        #[arg(long, value_name = "S", requires = "publish", conflicts_with = "every")]
        every_secs: Option<f64>,
        /// With --publish: how many versions to keep (older ones are removed once LATEST moved
        /// past them).
        #[arg(long, value_name = "K", default_value_t = 5, requires = "publish", value_parser = clap::value_parser!(u64).range(1..))]
        keep: u64,
        /// Continue where the last run of this command stopped: from the newest version in
        /// --publish, or else the --save file, skipping the rows of the data it learned.
        #[arg(long)]
        resume: bool,
        /// One JSON object on stdout: rows read and skipped, seconds reading and training.
        #[arg(long)]
        json: bool,
    },
    /// One prediction per row (a clusterer: the index of the row's cluster).
    Predict {
        /// The saved model.
        #[arg(long, value_name = "MODEL")]
        load: PathBuf,
        #[command(flatten)]
        source: SourceArgs,
        /// Also class probabilities.
        #[arg(long)]
        proba: bool,
        /// JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Transformed rows (a clusterer: the Euclidean distances to its centers, `d0`, `d1`, ...).
    Transform {
        /// The saved model.
        #[arg(long, value_name = "MODEL")]
        load: PathBuf,
        #[command(flatten)]
        source: SourceArgs,
        /// JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// A saved model's structure and size: its spec, features, classes, rows learned, and
    /// for trees and forests their depth, nodes, leaves and the tree as text.
    Inspect {
        /// The saved model.
        #[arg(long, value_name = "MODEL")]
        load: PathBuf,
        /// JSON on stdout.
        #[arg(long, conflicts_with = "dot")]
        json: bool,
        /// The trees in Graphviz's dot language instead (a forest: a graph per tree).
        #[arg(long)]
        dot: bool,
    },
    /// Run a drift detector over a column of numbers.
    Drift {
        /// Detector spec, e.g. "adwin(delta=0.002)" (see `tidewater list`).
        #[arg(long, value_name = "SPEC")]
        detector: String,
        /// CSV file(s), read in order as one stream (`-` is standard input).
        #[arg(long = "data", value_name = "FILE", num_args = 1..)]
        data: Vec<PathBuf>,
        /// A shipped data set.
        #[arg(long, value_name = "NAME", conflicts_with = "data")]
        dataset: Option<String>,
        /// A stream generator spec (bounded by --limit, default 100000 rows).
        #[arg(long, value_name = "SPEC", conflicts_with_all = ["data", "dataset"])]
        synth: Option<String>,
        /// File format, overriding the extension (only csv has columns to watch).
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
        /// The column of numbers (default: the first column).
        #[arg(long, value_name = "COL")]
        column: Option<String>,
        /// Stop after N values.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Predictions over HTTP from a saved model or the newest version of a model directory
    /// (swapped in as versions are published); see docs/serving.md.
    Serve {
        /// A saved model.
        #[arg(
            long,
            value_name = "MODEL",
            required_unless_present = "model_dir",
            conflicts_with = "model_dir"
        )]
        load: Option<PathBuf>,
        /// A model directory (`learn --publish DIR`): serves its newest version and follows
        /// its LATEST.
        #[arg(long, value_name = "DIR")]
        model_dir: Option<PathBuf>,
        /// Where to listen. Another address than loopback needs --token-file.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
        addr: String,
        /// A file whose first line is a token: POST /learn then needs
        /// `Authorization: Bearer <token>`.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// The largest request body, in bytes (larger ones get 413).
        #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
        max_body: usize,
        /// Threads answering requests (default: the cores less one, at least 1, leaving a
        /// core to the learner that publishes the versions).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Option<u32>,
    },
    /// Every model, transformer, detector, data set and generator with its parameters.
    List {
        /// JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Shipped data sets.
    #[command(arg_required_else_help = true)]
    Datasets {
        #[command(subcommand)]
        command: DatasetsCommand,
    },
}

#[derive(Subcommand)]
enum DatasetsCommand {
    /// A shipped data set, or rows of a generator, as CSV on stdout, header first, target(s)
    /// last.
    Export {
        /// A data set's name, or a generator spec such as "sea(seed=1)".
        name: String,
        /// Only the first N rows (for a generator: N rows, default 100000).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
}

impl SourceArgs {
    fn source(&self) -> Result<data::SourceArg, CliError> {
        if let Some(s) = &self.synth {
            return Ok(data::SourceArg::Synth(s.clone()));
        }
        Ok(match &self.dataset {
            Some(d) => data::SourceArg::Dataset(d.clone()),
            None => data::SourceArg::Files(self.data.clone()),
        })
    }
}

/// Runs the program and returns its exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                // `tidewater` or `tidewater datasets` alone: the usage, on stderr, exit 2.
                let _ = e.print();
                return ExitCode::from(2);
            }
            if !e.use_stderr() {
                // --help, --version.
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's first paragraph names the problem (missing arguments are
            // listed on the lines under its first), joined, with its suggestion (`tip: a
            // similar argument exists: '--model'`) when it has one.
            let text = e.to_string();
            let mut parts: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            parts.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| l.starts_with("tip:")),
            );
            if parts.is_empty() {
                eprintln!("error: bad usage");
            } else {
                eprintln!("{}", parts.join(" "));
            }
            return ExitCode::from(2);
        }
    };
    match commands::dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Input(m)) => {
            eprintln!("error: {}", m.replace('\n', " "));
            ExitCode::from(2)
        }
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(e @ CliError::Internal(_)) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    // A panic is a bug, never the answer to bad input: report it as an internal error
    // (exit 1) in one line instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error: {info}");
    }));
    match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(_) => ExitCode::from(1),
    }
}
