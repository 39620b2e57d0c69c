//! Processes on timely dataflow (feature `distributed`). Every call into timely is in this
//! module: timely changes its API often, and the rest of the crate speaks only core's
//! [`Executor`] and this module's [`Processes`].
//!
//! Each process runs the same training loop (the driver is replicated: every process sees
//! the same sums, so every process takes the same steps). A round: each process computes its
//! contiguous run of blocks (on its rayon pool), cuts each block's part (the part, then its
//! value) into `P` shards by key range, and feeds them into its timely worker at the round's
//! time. The dataflow exchanges every shard to its owner (shard `s` to process `s`), which
//! adds the blocks' parts of the shard in block order once the round is complete
//! (reduce-scatter), and broadcasts the sum to every process (all-gather). The driver waits
//! on a probe for the round (BSP) and assembles the shards. The additions are those of core's
//! `Rayon` executor, in the same order: the same bits.
//!
//! The connections are made here, not by timely: a process listens on its own address and
//! connects to the processes before it (which accept the ones after them), within a timeout,
//! and the two ends exchange what they are about to run (the caller's fingerprint and the
//! job's shape), so that processes started with different data or parameters stop at
//! start-up naming the difference. The connected sockets are then handed to timely.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tidewater_core::rounds::{
    BlockSum, Checkpoints, Executor, Parts, Round, RunInfo, check_round, worker_blocks,
};
use tidewater_core::{Error, Result};

use crate::{Consistency, Keys, ParamServer, Rule};

use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::zero_copy::stream::Stream as TimelyStream;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Exchange, Input, Inspect, Probe};
use timely::dataflow::{InputHandleVec, ProbeHandle};

/// Where the reason a peer was lost is recorded (by its socket's first failed read or write).
type Lost = Arc<Mutex<Option<String>>>;

/// A shard of a block's part: (shard, block, values).
type Piece = (u64, u64, Vec<f64>);

/// A shard's sum over every block of a round: (shard, values).
type ShardSum = (u64, Vec<f64>);

/// The first bytes of the handshake.
const MAGIC: &[u8; 8] = b"TWPS\x00\x00\x00\x01";

/// The longest handshake text accepted from a peer.
const MAX_HELLO: u64 = 1 << 16;

/// The processes of a distributed job, from a host file (one `host:port` per line, in process
/// order, as timely reads it) and this process's index in it: core's [`Executor`] on timely.
#[derive(Clone)]
pub struct Processes {
    addresses: Vec<String>,
    index: usize,
    timeout: Duration,
    fingerprint: String,
    delay: Option<Duration>,
    checkpoints: Option<Arc<dyn Checkpoints + Send + Sync>>,
    own_rows: bool,
    /// The sockets [`Executor::exchange`] connected, kept for the run that follows.
    connected: Arc<Mutex<Option<Vec<Option<TcpStream>>>>>,
}

impl std::fmt::Debug for Processes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processes")
            .field("addresses", &self.addresses)
            .field("index", &self.index)
            .field("timeout", &self.timeout)
            .field("fingerprint", &self.fingerprint)
            .field("checkpoints", &self.checkpoints.is_some())
            .field("own_rows", &self.own_rows)
            .finish()
    }
}

impl Processes {
    /// Process `index` of the processes at `addresses` (`host:port` each).
    pub fn new(addresses: Vec<String>, index: usize) -> Result<Self> {
        if addresses.is_empty() {
            return Err(Error::param("hosts", "the host list is empty"));
        }
        if index >= addresses.len() {
            return Err(Error::param(
                "process",
                format!(
                    "process {index} is not in a host list of {} processes (0 to {})",
                    addresses.len(),
                    addresses.len() - 1
                ),
            ));
        }
        for (i, a) in addresses.iter().enumerate() {
            if a.to_socket_addrs().is_err() {
                return Err(Error::param(
                    "hosts",
                    format!("line {}: `{a}` is not a host:port address", i + 1),
                ));
            }
        }
        Ok(Processes {
            addresses,
            index,
            timeout: Duration::from_secs(30),
            fingerprint: String::new(),
            delay: None,
            checkpoints: None,
            own_rows: false,
            connected: Arc::new(Mutex::new(None)),
        })
    }

    /// Process `index` of the processes listed in the host file at `path` (one `host:port`
    /// per line; blank lines and lines starting with `#` are skipped).
    pub fn from_host_file(path: &std::path::Path, index: usize) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let addresses = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        Self::new(addresses, index)
    }

    /// How long to wait for every peer to connect (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What this process is about to run (the spec, the data's shape and checksum): the
    /// processes compare theirs at start-up and refuse to run with different ones.
    pub fn with_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = fingerprint.into();
        self
    }

    /// The driver checkpoints its state in `checkpoints`; when resuming, the processes
    /// agree at start-up on the latest iteration every one of them holds.
    pub fn with_checkpoints(mut self, checkpoints: Arc<dyn Checkpoints + Send + Sync>) -> Self {
        self.checkpoints = Some(checkpoints);
        self
    }

    /// Each process holds only its own part of the rows (its own file), not all of them: the
    /// fits then exchange what each part is before they run ([`Executor::exchange`]), cut
    /// each part into blocks of its own ([`tidewater_core::rounds::Layout::part`]), and each
    /// process computes its own part's blocks. The model equals the fit of the parts'
    /// rows one after the other (part 0's first) to rounding, not bit for bit.
    pub fn with_own_rows(mut self) -> Self {
        self.own_rows = true;
        self
    }

    /// Test-only: this process sleeps `delay` in every round, before its blocks (SGD: before
    /// it sends its pushes): a slow machine, or time to kill a process mid-job.
    #[doc(hidden)]
    pub fn with_round_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The number of processes.
    pub fn n(&self) -> usize {
        self.addresses.len()
    }

    /// This process's index.
    pub fn index(&self) -> usize {
        self.index
    }

    fn hello(&self, job: &dyn BlockSum) -> String {
        format!(
            "{} | {} processes | params {} | parts {} | blocks {}",
            self.fingerprint,
            self.n(),
            job.n_params(),
            job.out_len(),
            job.n_blocks()
        )
    }

    /// Connects to every peer (this process's own slot `None`), each having said the same
    /// hello; returns the sockets and what each process offered (this process's `offer` at
    /// its own index).
    fn connect(&self, hello: &str, offer: &str) -> Result<(Vec<Option<TcpStream>>, Vec<String>)> {
        let mut offers = vec![String::new(); self.n()];
        offers[self.index] = offer.to_owned();
        let deadline = Instant::now() + self.timeout;
        let me = self.index;
        let listener = TcpListener::bind(&self.addresses[me]).map_err(|e| {
            Error::Training(format!(
                "process {me} cannot listen on {}: {e}",
                self.addresses[me]
            ))
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Training(format!("listening: {e}")))?;
        let mut peers: Vec<Option<TcpStream>> = (0..self.n()).map(|_| None).collect();
        // Connect to the processes before this one.
        for (j, address) in self.addresses.iter().enumerate().take(me) {
            let stream = loop {
                match TcpStream::connect(address) {
                    Ok(s) => break s,
                    Err(e) if Instant::now() >= deadline => {
                        return Err(Error::Training(format!(
                            "process {me} could not reach process {j} at {address} within {} s: {e}",
                            self.timeout.as_secs_f64()
                        )));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            };
            let mut stream = prepare(stream, deadline)?;
            send_hello(&mut stream, me, hello, offer)?;
            let (their, their_hello, their_offer) = read_hello(&mut stream, address)?;
            check_peer(j, their, hello, &their_hello, address)?;
            offers[j] = their_offer;
            peers[j] = Some(stream);
        }
        // Accept the processes after this one.
        let mut waiting = self.n() - me - 1;
        while waiting > 0 {
            match listener.accept() {
                Ok((stream, from)) => {
                    let mut stream = prepare(stream, deadline)?;
                    let (their, their_hello, their_offer) =
                        read_hello(&mut stream, &from.to_string())?;
                    if their <= me || their >= self.n() || peers[their].is_some() {
                        return Err(Error::Training(format!(
                            "a connection from {from} says it is process {their}, which process {me} does not expect"
                        )));
                    }
                    send_hello(&mut stream, me, hello, offer)?;
                    check_peer(their, their, hello, &their_hello, &self.addresses[their])?;
                    offers[their] = their_offer;
                    peers[their] = Some(stream);
                    waiting -= 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        let missing: Vec<String> = (me + 1..self.n())
                            .filter(|&j| peers[j].is_none())
                            .map(|j| format!("process {j} ({})", self.addresses[j]))
                            .collect();
                        return Err(Error::Training(format!(
                            "process {me} at {} heard nothing from {} within {} s",
                            self.addresses[me],
                            missing.join(", "),
                            self.timeout.as_secs_f64()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(Error::Training(format!("accepting a peer: {e}"))),
            }
        }
        Ok((peers, offers))
    }

    /// Hands the connected `streams` to timely and starts this process's worker running
    /// `work`; returns its guards and where a lost peer's reason is recorded.
    fn execute(
        &self,
        streams: Vec<Option<TcpStream>>,
        work: impl Fn(&mut timely::worker::Worker) + Send + Sync + 'static,
    ) -> Result<(timely::communication::WorkerGuards<()>, Lost)> {
        let lost = Arc::new(Mutex::new(None));
        let mut peers = Vec::with_capacity(streams.len());
        for (j, stream) in streams.into_iter().enumerate() {
            peers.push(match stream {
                Some(s) => Some(Peer::new(s, j, &self.addresses[j], &lost)?),
                None => None,
            });
        }
        let hooks = timely::communication::Hooks::default();
        let process =
            ProcessBuilder::new_typed_vector(1, hooks.refill.clone(), hooks.spill.clone());
        let (builders, guard) =
            initialize_networking_from_sockets(process, peers, self.index, 1, hooks)
                .map_err(|e| Error::Training(format!("starting the connections: {e}")))?;
        let builders = builders.into_iter().map(AllocatorBuilder::Tcp).collect();
        let guards = timely::execute::execute_from(
            builders,
            Box::new(guard),
            timely::WorkerConfig::default(),
            work,
        )
        .map_err(|e| Error::Training(format!("starting timely: {e}")))?;
        Ok((guards, lost))
    }

    /// Says `hello` and `offer` again on sockets already connected (by
    /// [`exchange`](Executor::exchange)): every process first writes to every peer, then
    /// reads every peer's, so no one waits on a peer that waits on it.
    fn greet_again(
        &self,
        peers: &mut [Option<TcpStream>],
        hello: &str,
        offer: &str,
    ) -> Result<Vec<String>> {
        let deadline = Instant::now() + self.timeout;
        let mut offers = vec![String::new(); self.n()];
        offers[self.index] = offer.to_owned();
        for stream in peers.iter_mut() {
            if let Some(s) = stream.take() {
                let mut s = prepare(s, deadline)?;
                send_hello(&mut s, self.index, hello, offer)?;
                *stream = Some(s);
            }
        }
        for (j, stream) in peers.iter_mut().enumerate() {
            if let Some(s) = stream {
                let address = &self.addresses[j];
                let (their, their_hello, their_offer) = read_hello(s, address)?;
                check_peer(j, their, hello, &their_hello, address)?;
                offers[j] = their_offer;
            }
        }
        Ok(offers)
    }
}

/// A connected peer's socket, recording why it was lost when a read or write fails.
struct Peer {
    stream: TcpStream,
    who: String,
    lost: Arc<Mutex<Option<String>>>,
}

impl Peer {
    fn new(
        stream: TcpStream,
        j: usize,
        address: &str,
        lost: &Arc<Mutex<Option<String>>>,
    ) -> Result<Self> {
        stream
            .set_read_timeout(None)
            .and_then(|()| stream.set_write_timeout(None))
            .map_err(|e| Error::Training(format!("setting up the socket to {address}: {e}")))?;
        Ok(Peer {
            stream,
            who: format!("process {j} ({address})"),
            lost: Arc::clone(lost),
        })
    }

    fn note(&self, what: &str) {
        let mut lost = self.lost.lock().unwrap_or_else(|p| p.into_inner());
        if lost.is_none() {
            *lost = Some(format!("{} was lost: {what}", self.who));
        }
    }
}

impl Read for Peer {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.stream.read(buf);
        match &r {
            Ok(0) if !buf.is_empty() => self.note("its connection closed"),
            Err(e) => self.note(&e.to_string()),
            Ok(_) => {}
        }
        r
    }
}

impl Write for Peer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.stream.write(buf);
        if let Err(e) = &r {
            self.note(&e.to_string());
        }
        r
    }
    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl TimelyStream for Peer {
    fn try_clone(&self) -> io::Result<Self> {
        Ok(Peer {
            stream: self.stream.try_clone()?,
            who: self.who.clone(),
            lost: Arc::clone(&self.lost),
        })
    }
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.stream.set_nonblocking(nonblocking)
    }
    fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.stream.shutdown(how)
    }
}

/// A socket made blocking, with the deadline's time left as its read and write timeouts.
fn prepare(stream: TcpStream, deadline: Instant) -> Result<TcpStream> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100));
    stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_nodelay(true))
        .and_then(|()| stream.set_read_timeout(Some(left)))
        .and_then(|()| stream.set_write_timeout(Some(left)))
        .map_err(|e| Error::Training(format!("setting up a connection: {e}")))?;
    Ok(stream)
}

fn send_hello(stream: &mut TcpStream, me: usize, hello: &str, offer: &str) -> Result<()> {
    let text = format!("{hello}\n{offer}");
    let mut msg = Vec::with_capacity(24 + text.len());
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&(me as u64).to_le_bytes());
    msg.extend_from_slice(&(text.len() as u64).to_le_bytes());
    msg.extend_from_slice(text.as_bytes());
    stream
        .write_all(&msg)
        .map_err(|e| Error::Training(format!("greeting a peer: {e}")))
}

/// A peer's index, hello and offer (the iterations it can resume from, comma-separated).
fn read_hello(stream: &mut TcpStream, from: &str) -> Result<(usize, String, String)> {
    let bad = |what: String| Error::Training(format!("the peer at {from}: {what}"));
    let mut head = [0u8; 24];
    stream
        .read_exact(&mut head)
        .map_err(|e| bad(format!("no greeting ({e})")))?;
    if &head[..8] != MAGIC {
        return Err(bad("not a tidewater process of this version".into()));
    }
    let index = u64::from_le_bytes(head[8..16].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(head[16..24].try_into().expect("8 bytes"));
    if len > MAX_HELLO {
        return Err(bad(format!("a greeting of {len} bytes")));
    }
    let mut text = vec![0u8; len as usize];
    stream
        .read_exact(&mut text)
        .map_err(|e| bad(format!("a greeting cut short ({e})")))?;
    let text = String::from_utf8(text).map_err(|_| bad("a greeting that is not text".into()))?;
    let index = usize::try_from(index).map_err(|_| bad(format!("process index {index}")))?;
    let (hello, offer) = text.rsplit_once('\n').unwrap_or((text.as_str(), ""));
    Ok((index, hello.to_owned(), offer.to_owned()))
}

fn check_peer(j: usize, their: usize, mine: &str, theirs: &str, address: &str) -> Result<()> {
    if their != j {
        return Err(Error::Training(format!(
            "{address} says it is process {their}, the host file says process {j}"
        )));
    }
    if mine != theirs {
        return Err(Error::Training(format!(
            "process {j} ({address}) runs another job: it has `{theirs}`, this process `{mine}`"
        )));
    }
    Ok(())
}

/// What the driver asks of this process's timely worker.
enum Ask {
    /// Feed a round's pieces and answer with the assembled sums.
    Round(Vec<Piece>),
}

/// The worker's side: builds the dataflow, then serves rounds until the driver hangs up.
fn serve(
    worker: &mut timely::worker::Worker,
    asks: mpsc::Receiver<Ask>,
    answers: mpsc::Sender<Vec<ShardSum>>,
) {
    let mut input: InputHandleVec<u64, Piece> = InputHandleVec::new();
    let probe = ProbeHandle::new();
    let got: Rc<RefCell<Vec<ShardSum>>> = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&got);
    worker.dataflow::<u64, _, _>(|scope| {
        scope
            .input_from(&mut input)
            .container::<Vec<Piece>>()
            .exchange(|piece: &Piece| piece.0)
            .unary_frontier::<timely::container::CapacityContainerBuilder<Vec<ShardSum>>, _, _, _>(
                Pipeline,
                "SumShards",
                |_cap, _info| {
                    let mut stash: Vec<(timely::dataflow::operators::Capability<u64>, Vec<Piece>)> =
                        Vec::new();
                    move |(input, frontier), output| {
                        input.for_each_stamp(|cap, data| {
                            if let Some(cap) = cap.retain_least(0) {
                                stash_round(&mut stash, cap, data.flat_map(|d| d.drain(..)));
                            }
                        });
                        stash.retain_mut(|(cap, pieces)| {
                            if frontier.frontier().less_equal(cap.time()) {
                                return true;
                            }
                            // The round is complete here: each shard's pieces in block
                            // order, added from zero.
                            pieces.sort_by_key(|p| (p.0, p.1));
                            let mut session = output.session(cap);
                            let mut k = 0;
                            while k < pieces.len() {
                                let shard = pieces[k].0;
                                let mut sum = vec![0.0; pieces[k].2.len()];
                                while k < pieces.len() && pieces[k].0 == shard {
                                    for (a, b) in sum.iter_mut().zip(&pieces[k].2) {
                                        *a += b;
                                    }
                                    k += 1;
                                }
                                session.give((shard, sum));
                            }
                            false
                        });
                    }
                },
            )
            .broadcast()
            .inspect(move |shard: &ShardSum| sink.borrow_mut().push(shard.clone()))
            .probe_with(&probe);
    });
    let mut round = 0u64;
    while let Ok(Ask::Round(pieces)) = asks.recv() {
        for piece in pieces {
            input.send(piece);
        }
        round += 1;
        input.advance_to(round);
        // Parked between steps, not spinning: a spinning worker starves the threads that
        // move its messages (a round took 11-22 ms spinning on two busy cores, 0.3 ms parked).
        while probe.less_than(input.time()) {
            worker.step_or_park(None);
        }
        let shards = std::mem::take(&mut *got.borrow_mut());
        if answers.send(shards).is_err() {
            break;
        }
    }
}

/// Adds `items`, received at `cap`'s time, to that round's stash (kept until the frontier
/// passes the round).
fn stash_round<D>(
    stash: &mut Vec<(timely::dataflow::operators::Capability<u64>, Vec<D>)>,
    cap: timely::dataflow::operators::Capability<u64>,
    items: impl Iterator<Item = D>,
) {
    match stash.iter_mut().find(|(c, _)| c.time() == cap.time()) {
        Some((_, v)) => v.extend(items),
        None => stash.push((cap, items.collect())),
    }
}

/// The key range of shard `s` of `n_shards` over `len` keys.
fn shard_keys(len: usize, n_shards: usize, s: usize) -> std::ops::Range<usize> {
    (s * len / n_shards)..((s + 1) * len / n_shards)
}

impl Executor for Processes {
    fn run(
        &self,
        job: &dyn BlockSum,
        driver: &mut dyn FnMut(&mut Round<'_>) -> Result<()>,
    ) -> Result<RunInfo> {
        let hello = self.hello(job);
        let available = self
            .checkpoints
            .as_ref()
            .map(|c| c.available())
            .unwrap_or_default();
        let offer = available
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let kept = self
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let (streams, offers) = match kept {
            Some(mut streams) => {
                let offers = self.greet_again(&mut streams, &hello, &offer)?;
                (streams, offers)
            }
            None => self.connect(&hello, &offer)?,
        };
        // The iterations every process can resume from.
        let mut common = available;
        for theirs in &offers {
            let theirs: Vec<usize> = theirs.split(',').filter_map(|t| t.parse().ok()).collect();
            common.retain(|it| theirs.contains(it));
        }
        if let Some(c) = &self.checkpoints {
            c.choose(common.last().copied());
        }
        let (n, me) = (self.n(), self.index);
        let (ask, asks) = mpsc::channel();
        let (answer, answers) = mpsc::channel();
        let ends = Mutex::new(Some((asks, answer)));
        let (guards, lost) = self.execute(streams, move |worker| {
            let taken = ends.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some((asks, answer)) = taken {
                serve(worker, asks, answer);
            }
        })?;
        let why_lost = || {
            lost.lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .unwrap_or_else(|| "a peer process stopped".into())
        };
        let m = job.out_len() + 1;
        let mine = job
            .local_blocks()
            .unwrap_or_else(|| worker_blocks(job.n_blocks(), n, me));
        let mut rounds = 0usize;
        let mut round = |params: &[f64], out: &mut [f64]| -> Result<f64> {
            check_round(job, params, out)?;
            rounds += 1;
            if let Some(d) = self.delay {
                std::thread::sleep(d);
            }
            let parts: Vec<(u64, Vec<f64>)> = mine
                .clone()
                .into_par_iter()
                .map(|b| {
                    let mut part = vec![0.0; m];
                    let v = job.block(params, b, &mut part[..m - 1]);
                    part[m - 1] = v;
                    (b as u64, part)
                })
                .collect();
            let mut pieces = Vec::with_capacity(parts.len() * n);
            for (b, part) in &parts {
                for s in 0..n {
                    let keys = shard_keys(m, n, s);
                    if !keys.is_empty() {
                        pieces.push((s as u64, *b, part[keys].to_vec()));
                    }
                }
            }
            ask.send(Ask::Round(pieces))
                .map_err(|_| Error::Training(why_lost()))?;
            let shards = answers.recv().map_err(|_| Error::Training(why_lost()))?;
            let mut sums = vec![0.0; m];
            let mut seen = vec![false; n];
            for (s, sum) in shards {
                let s = s as usize;
                let keys = shard_keys(m, n, s);
                if s >= n || seen[s] || sum.len() != keys.len() {
                    return Err(Error::Training(format!("a malformed sum for shard {s}")));
                }
                seen[s] = true;
                sums[keys].copy_from_slice(&sum);
            }
            if (0..n).any(|s| !seen[s] && !shard_keys(m, n, s).is_empty()) {
                return Err(Error::Training(why_lost()));
            }
            out.copy_from_slice(&sums[..m - 1]);
            Ok(sums[m - 1])
        };
        let driven = driver(&mut round);
        drop(ask);
        match driven {
            Ok(()) => {
                for r in guards.join() {
                    r.map_err(|e| Error::Training(format!("a timely worker: {e}")))?;
                }
                Ok(RunInfo { rounds, workers: n })
            }
            // The workers may wait on a lost peer for ever: they are left to the process's
            // end (the command line exits with the error).
            Err(e) => {
                std::mem::forget(guards);
                Err(e)
            }
        }
    }

    fn checkpoints(&self) -> Option<&dyn Checkpoints> {
        self.checkpoints.as_deref().map(|c| c as &dyn Checkpoints)
    }

    fn exchange(&self, mine: &[u8]) -> Result<Option<Parts>> {
        if !self.own_rows {
            return Ok(None);
        }
        let hello = format!(
            "{} | {} processes, each on its own rows",
            self.fingerprint,
            self.n()
        );
        let (streams, offers) = self.connect(&hello, &hex(mine))?;
        let said = offers
            .iter()
            .enumerate()
            .map(|(j, o)| {
                unhex(o).ok_or_else(|| {
                    Error::Training(format!(
                        "process {j} ({}) sent a malformed description of its rows",
                        self.addresses[j]
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        *self.connected.lock().unwrap_or_else(|p| p.into_inner()) = Some(streams);
        Ok(Some(Parts {
            index: self.index,
            said,
        }))
    }
}

/// Bytes as lowercase hexadecimal text (a part's description travels in the greeting).
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of [`hex`] text; `None` when it is not.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Mini-batch SGD on the processes: a parameter server replicated on every process.

/// A push of one process in one round, as it travels: (process, push number in the round,
/// rule (0 sum, 1 assign, 2 AdaGrad), AdaGrad's rate, AdaGrad's eps, keys, values).
type Update = (u64, u64, u64, f64, f64, Vec<u64>, Vec<f64>);

/// Every process's copy of the parameters (and AdaGrad's sums of squares).
#[derive(Default)]
struct Replica {
    values: Vec<f64>,
    squares: Vec<f64>,
}

/// How far the rounds are applied on this process: every round before `applied` (the
/// frontier of the dataflow after the replica); `failed` once the dataflow cannot go on.
#[derive(Default)]
struct Progressed {
    applied: u64,
    failed: bool,
}

/// The parameter server the SGD worker of this process talks to: its pushes of a round go to
/// every process at `clock`, and every process applies a round's pushes once all of them
/// are in, in process order then push order (the in-process server's BSP order), to its own
/// replica; a pull reads the replica.
struct TimelyServer {
    n_keys: usize,
    n_workers: usize,
    me: usize,
    consistency: Consistency,
    replica: Arc<Mutex<Replica>>,
    progressed: Arc<(Mutex<Progressed>, std::sync::Condvar)>,
    pending: Mutex<Vec<Update>>,
    round: std::sync::atomic::AtomicU64,
    asks: Mutex<Option<mpsc::Sender<Vec<Update>>>>,
    /// The timely worker's thread, once it has started (woken when a round is sent).
    timely_thread: Arc<Mutex<Option<std::thread::Thread>>>,
    lost: Arc<Mutex<Option<String>>>,
    aborted: Mutex<Option<String>>,
    /// Test-only: slept at every clock ([`Processes::with_round_delay`]).
    delay: Option<Duration>,
}

impl TimelyServer {
    fn why_lost(&self) -> Error {
        let lost = self.lost.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Error::Training(lost.unwrap_or_else(|| "a peer process stopped".into()))
    }

    fn check(&self) -> Result<()> {
        match &*self.aborted.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(reason) => Err(Error::Training(reason.clone())),
            None => Ok(()),
        }
    }

    fn wake_timely(&self) {
        if let Some(t) = &*self.timely_thread.lock().unwrap_or_else(|p| p.into_inner()) {
            t.unpark();
        }
    }

    /// Waits until every round before `round` is applied here.
    ///
    /// A peer whose connection closed may simply have finished: its last rounds can still be
    /// on their way through this process's dataflow. So a closed peer stops the wait only if
    /// the rounds do not arrive within `LOST_GRACE` of it (a failed dataflow stops it at once).
    fn wait_applied(&self, round: u64) -> Result<()> {
        const LOST_GRACE: Duration = Duration::from_secs(2);
        let (lock, tick) = &*self.progressed;
        let mut p = lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut lost_at: Option<Instant> = None;
        while p.applied < round {
            if self
                .lost
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some()
            {
                lost_at.get_or_insert_with(Instant::now);
            }
            if p.failed || lost_at.is_some_and(|t| t.elapsed() > LOST_GRACE) {
                return Err(self.why_lost());
            }
            p = tick
                .wait_timeout(p, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }

    /// No more rounds from this process.
    fn close(&self) {
        self.asks.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.wake_timely();
    }
}

impl ParamServer for TimelyServer {
    fn n_keys(&self) -> usize {
        self.n_keys
    }

    fn n_workers(&self) -> usize {
        self.n_workers
    }

    fn consistency(&self) -> Consistency {
        self.consistency
    }

    fn pull(&self, _worker: usize, keys: Keys<'_>, out: &mut [f64]) -> Result<()> {
        self.check()?;
        keys.check(out.len(), self.n_keys, "pull")?;
        let r = self.replica.lock().unwrap_or_else(|p| p.into_inner());
        match keys {
            Keys::Range(range) => match r.values.get(range.clone()) {
                Some(v) => out.copy_from_slice(v),
                None => return Err(Error::Training(format!("keys {range:?} out of range"))),
            },
            Keys::Sparse(keys) => {
                for (o, &k) in out.iter_mut().zip(keys) {
                    *o = *r
                        .values
                        .get(k)
                        .ok_or_else(|| Error::Training(format!("key {k} out of range")))?;
                }
            }
        }
        Ok(())
    }

    fn push(&self, worker: usize, keys: Keys<'_>, values: &[f64], rule: Rule) -> Result<()> {
        self.check()?;
        if worker != self.me {
            return Err(Error::Training(format!(
                "process {} pushed for worker {worker}: each process is its own worker",
                self.me
            )));
        }
        keys.check(values.len(), self.n_keys, "push")?;
        let keys: Vec<u64> = match keys {
            Keys::Range(r) => r.map(|k| k as u64).collect(),
            Keys::Sparse(k) => k.iter().map(|&k| k as u64).collect(),
        };
        let (tag, rate, eps) = match rule {
            Rule::Sum => (0, 0.0, 0.0),
            Rule::Assign => (1, 0.0, 0.0),
            Rule::AdaGrad { rate, eps } => (2, rate, eps),
        };
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let seq = pending.len() as u64;
        pending.push((self.me as u64, seq, tag, rate, eps, keys, values.to_vec()));
        Ok(())
    }

    fn clock(&self, worker: usize) -> Result<u64> {
        self.check()?;
        if worker != self.me {
            return Err(Error::Training(format!(
                "process {} clocked worker {worker}",
                self.me
            )));
        }
        if let Some(d) = self.delay {
            std::thread::sleep(d);
        }
        let updates = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        {
            let asks = self.asks.lock().unwrap_or_else(|p| p.into_inner());
            let sent = asks.as_ref().map(|a| a.send(updates).is_ok());
            if sent != Some(true) {
                return Err(self.why_lost());
            }
        }
        self.wake_timely();
        let mine = self
            .round
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        match self.consistency {
            Consistency::Bsp => self.wait_applied(mine)?,
            Consistency::Ssp(s) => self.wait_applied(mine.saturating_sub(s))?,
            Consistency::Asp => {}
        }
        Ok(mine)
    }

    fn abort(&self, reason: &str) {
        let mut a = self.aborted.lock().unwrap_or_else(|p| p.into_inner());
        if a.is_none() {
            *a = Some(reason.to_owned());
        }
        drop(a);
        self.close();
    }
}

/// The timely worker's side of the SGD: broadcasts each round's pushes, applies a round to
/// the replica once every process's pushes of it are in (in process order, then push
/// order), and publishes how far the rounds are applied, until the driver hangs up and every
/// round is applied.
fn serve_sgd(
    worker: &mut timely::worker::Worker,
    asks: mpsc::Receiver<Vec<Update>>,
    replica: Arc<Mutex<Replica>>,
    progressed: Arc<(Mutex<Progressed>, std::sync::Condvar)>,
) {
    let mut input: InputHandleVec<u64, Update> = InputHandleVec::new();
    let probe = ProbeHandle::new();
    worker.dataflow::<u64, _, _>(|scope| {
        scope
            .input_from(&mut input)
            .container::<Vec<Update>>()
            .broadcast()
            .unary_frontier::<timely::container::CapacityContainerBuilder<Vec<u64>>, _, _, _>(
                Pipeline,
                "ApplyRounds",
                |_cap, _info| {
                    let mut stash: Vec<(
                        timely::dataflow::operators::Capability<u64>,
                        Vec<Update>,
                    )> = Vec::new();
                    move |(input, frontier), _output| {
                        input.for_each_stamp(|cap, data| {
                            if let Some(cap) = cap.retain_least(0) {
                                stash_round(&mut stash, cap, data.flat_map(|d| d.drain(..)));
                            }
                        });
                        // The complete rounds, in round order.
                        stash.sort_by_key(|(c, _)| *c.time());
                        stash.retain_mut(|(cap, ups)| {
                            if frontier.frontier().less_equal(cap.time()) {
                                return true;
                            }
                            ups.sort_by_key(|u| (u.0, u.1));
                            let mut r = replica.lock().unwrap_or_else(|p| p.into_inner());
                            let Replica { values, squares } = &mut *r;
                            for (_, _, tag, rate, eps, keys, vals) in ups.iter() {
                                let rule = match tag {
                                    0 => Rule::Sum,
                                    1 => Rule::Assign,
                                    _ => Rule::AdaGrad {
                                        rate: *rate,
                                        eps: *eps,
                                    },
                                };
                                for (&k, &v) in keys.iter().zip(vals) {
                                    if let Some(k) =
                                        usize::try_from(k).ok().filter(|&k| k < values.len())
                                    {
                                        crate::local::apply_rule(values, squares, k, v, rule);
                                    }
                                }
                            }
                            false
                        });
                    }
                },
            )
            .probe_with(&probe);
    });
    let mut input = Some(input);
    let mut round = 0u64;
    let publish = |applied: u64| {
        let (lock, tick) = &*progressed;
        let mut p = lock.lock().unwrap_or_else(|e| e.into_inner());
        if applied > p.applied {
            p.applied = applied;
            tick.notify_all();
        }
    };
    loop {
        if let Some(inp) = input.as_mut() {
            loop {
                match asks.try_recv() {
                    Ok(updates) => {
                        for u in updates {
                            inp.send(u);
                        }
                        round += 1;
                        inp.advance_to(round);
                    }
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        input = None;
                        break;
                    }
                }
            }
        }
        worker.step_or_park(Some(Duration::from_millis(1)));
        let applied = probe.with_frontier(|f| f.iter().copied().min().unwrap_or(u64::MAX));
        publish(applied);
        if input.is_none() && probe.done() {
            break;
        }
    }
}

impl Processes {
    /// Mini-batch SGD for logistic regression ([`crate::sgd::train_logistic`]) with each
    /// process as one worker: process `I` takes the `I`-th contiguous shard of the rows (every
    /// process is given all of them), and the parameters are replicated on every process.
    /// Each round a process pushes its mini-batch's gradient to every process; each process
    /// applies a round once every process's pushes of it are in, in process order (the
    /// in-process server's BSP order, so BSP gives the model of `train_logistic` on as many
    /// worker threads, bit for bit), and a process starts round `r` once round `r - 1 - s`
    /// is applied under SSP(s) (round `r - 1` under BSP). Under ASP a process never waits:
    /// it may compute every one of its rounds before the other processes' first lands. Every
    /// process ends with the same model, once every round is applied.
    pub fn train_logistic(
        &self,
        x: tidewater_core::Batch<'_>,
        y: &[bool],
        w: Option<&[f64]>,
        cfg: &crate::sgd::SgdConfig,
        progress: Option<crate::sgd::Progress<'_>>,
    ) -> Result<crate::sgd::SgdOutcome> {
        let n_keys = x.n_cols() + 1;
        let rounds = crate::sgd::sgd_rounds(x.n_rows(), self.n(), cfg);
        let hello = format!(
            "{} | {} processes | SGD on {} keys, {} rounds, {:?}",
            self.fingerprint,
            self.n(),
            n_keys,
            rounds,
            cfg.consistency
        );
        let (streams, _) = self.connect(&hello, "")?;
        let replica = Arc::new(Mutex::new(Replica {
            values: vec![0.0; n_keys],
            squares: Vec::new(),
        }));
        let progressed = Arc::new((Mutex::new(Progressed::default()), std::sync::Condvar::new()));
        let (ask, asks) = mpsc::channel();
        let timely_thread = Arc::new(Mutex::new(None));
        let ends = Mutex::new(Some((
            asks,
            Arc::clone(&replica),
            Arc::clone(&progressed),
            Arc::clone(&timely_thread),
        )));
        let (guards, lost) = self.execute(streams, move |worker| {
            let taken = ends.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some((asks, replica, progressed, me)) = taken {
                *me.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::thread::current());
                let failed = Arc::clone(&progressed);
                // A lost peer makes timely panic; the driver must not wait for ever.
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    serve_sgd(worker, asks, replica, progressed)
                }));
                if run.is_err() {
                    let (lock, tick) = &*failed;
                    lock.lock().unwrap_or_else(|e| e.into_inner()).failed = true;
                    tick.notify_all();
                }
            }
        })?;
        let server = TimelyServer {
            n_keys,
            n_workers: self.n(),
            me: self.index,
            consistency: cfg.consistency,
            replica,
            progressed,
            pending: Mutex::new(Vec::new()),
            round: std::sync::atomic::AtomicU64::new(0),
            asks: Mutex::new(Some(ask)),
            timely_thread,
            lost,
            aborted: Mutex::new(None),
            delay: self.delay,
        };
        let trained =
            crate::sgd::train_logistic_worker(x, y, w, cfg, progress, &server, self.index);
        server.close();
        let done = trained.and_then(|out| {
            // Every process's rounds applied here: the model every process holds.
            server.wait_applied(rounds)?;
            let mut all = vec![0.0; n_keys];
            server.pull(self.index, Keys::Range(0..n_keys), &mut all)?;
            let intercept = all.pop().unwrap_or(0.0);
            Ok(crate::sgd::SgdOutcome {
                coef: all,
                intercept,
                ..out
            })
        });
        match done {
            Ok(out) => {
                for r in guards.join() {
                    r.map_err(|e| Error::Training(format!("a timely worker: {e}")))?;
                }
                Ok(out)
            }
            Err(e) => {
                std::mem::forget(guards);
                Err(e)
            }
        }
    }
}
