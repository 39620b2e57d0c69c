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

use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::zero_copy::stream::Stream as TimelyStream;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Exchange, Input, Inspect, Probe};
use timely::dataflow::{InputHandleVec, ProbeHandle};

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

    /// Test-only: this process sleeps `delay` in every round, before its blocks (a slow
    /// machine, or time to kill a process mid-job).
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
                                let pieces = data.flat_map(|d| d.drain(..));
                                match stash.iter_mut().find(|(c, _)| c.time() == cap.time()) {
                                    Some((_, v)) => v.extend(pieces),
                                    None => stash.push((cap, pieces.collect())),
                                }
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
        let offer = self
            .checkpoints
            .as_ref()
            .map(|c| c.available())
            .unwrap_or_default()
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
        let mut common: Vec<usize> = offer.split(',').filter_map(|t| t.parse().ok()).collect();
        for theirs in &offers {
            let theirs: Vec<usize> = theirs.split(',').filter_map(|t| t.parse().ok()).collect();
            common.retain(|it| theirs.contains(it));
        }
        if let Some(c) = &self.checkpoints {
            c.choose(common.last().copied());
        }
        let lost = Arc::new(Mutex::new(None));
        let mut peers = Vec::with_capacity(streams.len());
        for (j, stream) in streams.into_iter().enumerate() {
            peers.push(match stream {
                Some(s) => Some(Peer::new(s, j, &self.addresses[j], &lost)?),
                None => None,
            });
        }
        let (n, me) = (self.n(), self.index);
        let hooks = timely::communication::Hooks::default();
        let process =
            ProcessBuilder::new_typed_vector(1, hooks.refill.clone(), hooks.spill.clone());
        let (builders, guard) = initialize_networking_from_sockets(process, peers, me, 1, hooks)
            .map_err(|e| Error::Training(format!("starting the connections: {e}")))?;
        let builders = builders.into_iter().map(AllocatorBuilder::Tcp).collect();
        let (ask, asks) = mpsc::channel();
        let (answer, answers) = mpsc::channel();
        let ends = Mutex::new(Some((asks, answer)));
        let guards = timely::execute::execute_from(
            builders,
            Box::new(guard),
            timely::WorkerConfig::default(),
            move |worker| {
                let taken = ends.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some((asks, answer)) = taken {
                    serve(worker, asks, answer);
                }
            },
        )
        .map_err(|e| Error::Training(format!("starting timely: {e}")))?;
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
