use crate::envelope::{Envelope, Protocol};
use crate::host::Host;
use crate::world::AddrMap;
use crate::{config, TRACING_TARGET};

use crate::FxIndexMap;
use rand::{Rng, RngCore};
use rand_distr::{Distribution, Exp};
use std::collections::VecDeque;
use std::io::{Error, ErrorKind, Result};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;

/// Describes the network topology.
pub(crate) struct Topology {
    config: config::Link,

    /// Specific configuration overrides between specific hosts.
    links: FxIndexMap<Pair, Link>,

    /// (squadsim patch.) Each host's links (their indexes in `links`, in
    /// `links`' order: a host's turn visits its own links, not every link on
    /// the network; links are only ever added) and how many messages wait on
    /// them to be delivered to it.
    links_of: AddrMap<HostLinks>,

    /// (squadsim patch.) The network's clock. Upstream it was the clock of
    /// a paused tokio runtime with no software, moved by a `block_on` of a
    /// sleep at every tick (~6,000 instructions a step); it moves as that
    /// clock moved ([`Topology::tick_by`]). Only differences between its
    /// readings are ever used, so where it starts does not matter.
    now: Instant,
}

/// (squadsim patch.) A host's links, and how many messages wait in their
/// `deliverable` queues for the host's next turn: kept wherever a link's
/// queues change ([`Topology::counted`]), so whether a host has a message to
/// take is one lookup, not a walk of its links.
#[derive(Default)]
struct HostLinks {
    links: Vec<usize>,
    arrivals: usize,
}

/// This type is used as the key in the [`Topology::links`] map. See [`new`]
/// which orders the addrs, such that this type uniquely identifies the link
/// between two hosts on the network.
#[derive(Debug, Clone, Hash, Eq, PartialEq)]
struct Pair(IpAddr, IpAddr);

impl Pair {
    fn new(a: IpAddr, b: IpAddr) -> Pair {
        assert_ne!(a, b);

        if a < b {
            Pair(a, b)
        } else {
            Pair(b, a)
        }
    }
}

/// An iterator for the network topology, providing access to all active links
/// in the simulated network.
pub struct LinksIter<'a> {
    iter: indexmap::map::IterMut<'a, Pair, Link>,
}

/// An iterator for the link, providing access to sent messages that have not
/// yet been delivered.
pub struct LinkIter<'a> {
    a: IpAddr,
    b: IpAddr,
    now: Instant,
    iter: std::collections::vec_deque::IterMut<'a, Sent>,
}

impl LinkIter<'_> {
    /// The [`IpAddr`] pair for the link. Always ordered to uniquely identify
    /// the link.
    pub fn pair(&self) -> (IpAddr, IpAddr) {
        (self.a, self.b)
    }

    /// Schedule all messages on the link for delivery the next time the
    /// simulation steps, consuming the iterator.
    pub fn deliver_all(self) {
        for sent in self {
            sent.deliver();
        }
    }
}

/// Provides a reference to a message that is currently inflight on the network
/// from one host to another.
pub struct SentRef<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    now: Instant,
    sent: &'a mut Sent,
}

impl SentRef<'_> {
    /// The (src, dst) [`SocketAddr`] pair for the message.
    pub fn pair(&self) -> (SocketAddr, SocketAddr) {
        (self.src, self.dst)
    }

    /// The message [`Protocol`].
    pub fn protocol(&self) -> &Protocol {
        &self.sent.protocol
    }

    /// Schedule the message for delivery the next time the simulation steps,
    /// consuming the item.
    pub fn deliver(self) {
        self.sent.deliver(self.now);
    }
}

impl<'a> Iterator for LinksIter<'a> {
    type Item = LinkIter<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (pair, link) = self.iter.next()?;

        // A message may be scheduled for delivery through the iterator: the
        // link scans its queue at its next tick.
        link.due = Some(link.now);
        Some(LinkIter {
            a: pair.0,
            b: pair.1,
            now: link.now,
            iter: link.sent.iter_mut(),
        })
    }
}

impl<'a> Iterator for LinkIter<'a> {
    type Item = SentRef<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let sent = self.iter.next()?;

        Some(SentRef {
            src: sent.src,
            dst: sent.dst,
            now: self.now,
            sent,
        })
    }
}

/// A two-way link between two hosts on the network.
struct Link {
    /// The state of the link from node 'a' to node 'b'.
    /// Of the two nodes attached to a link, 'a' is the
    /// one whose ip address sorts smallest.
    state_a_b: State,
    /// The state of the link from node 'b' to node 'a'.
    /// Of the two nodes attached to a link, 'b' is the
    /// one whose ip address sorts greatest.
    state_b_a: State,

    /// Optional, per-link configuration.
    config: config::Link,

    /// Sent messages that are either scheduled for delivery in the future
    /// or are on hold.
    sent: VecDeque<Sent>,

    /// Messages that are ready to be delivered, to the end whose address
    /// sorts smallest ([0]) and to the other ([1]) (squadsim patch: one map
    /// keyed by address upstream).
    deliverable: [VecDeque<Envelope>; 2],

    /// (squadsim patch.) No message in `sent` can be delivered before this
    /// (at or before the earliest `DeliverAfter`; `None`: none is scheduled):
    /// a tick or a send before it leaves the queue as it is without scanning
    /// it.
    due: Option<Instant>,

    /// The current network time, moved forward with [`Link::tick`].
    now: Instant,

    /// (squadsim patch.) The indexes in [`Topology::links_of`] of the link's
    /// two ends, in the order of `deliverable`.
    ends: [usize; 2],
}

/// States that a link between two nodes can be in.
#[derive(Clone, Copy)]
enum State {
    /// The link is healthy.
    Healthy,

    /// The link was explicitly partitioned.
    ExplicitPartition,

    /// The link was randomly partitioned.
    RandPartition,

    /// Messages are being held indefinitely.
    Hold,
}

impl Topology {
    pub(crate) fn new(config: config::Link) -> Topology {
        Topology {
            config,
            links: FxIndexMap::default(),
            links_of: AddrMap::default(),
            now: Instant::now(),
        }
    }

    /// (squadsim patch.) Adds a host with no links yet and returns its index
    /// (hosts are numbered in the order they are added).
    pub(crate) fn add_host(&mut self, addr: IpAddr) -> usize {
        let (index, previous) = self.links_of.insert_full(addr, HostLinks::default());
        assert!(previous.is_none(), "host added twice");
        index
    }

    /// Register a link between two hosts
    pub(crate) fn register(&mut self, a: IpAddr, b: IpAddr) {
        let pair = Pair::new(a, b);
        let ends = [pair.0, pair.1].map(|host| {
            self.links_of
                .get_index_of(&host)
                .expect("a link's hosts are added first")
        });
        let (index, previous) = self.links.insert_full(pair, Link::new(self.now, ends));
        assert!(previous.is_none());
        for end in ends {
            self.links_of[end].links.push(index);
        }
    }

    pub(crate) fn set_max_message_latency(&mut self, value: Duration) {
        self.config.latency_mut().max_message_latency = value;
    }

    pub(crate) fn set_link_message_latency(&mut self, a: IpAddr, b: IpAddr, value: Duration) {
        let pair = Pair::new(a, b);
        let latency = self
            .links
            .get_mut(&pair)
            .unwrap_or_else(|| panic!("unable to find link between {pair:?}"))
            .latency(self.config.latency());
        latency.min_message_latency = value;
        latency.max_message_latency = value;
    }

    pub(crate) fn set_link_max_message_latency(&mut self, a: IpAddr, b: IpAddr, value: Duration) {
        let pair = Pair::new(a, b);
        self.links
            .get_mut(&pair)
            .unwrap_or_else(|| panic!("unable to find link between {pair:?}"))
            .latency(self.config.latency())
            .max_message_latency = value;
    }

    pub(crate) fn set_message_latency_curve(&mut self, value: f64) {
        self.config.latency_mut().latency_distribution = Exp::new(value).unwrap();
    }

    pub(crate) fn set_fail_rate(&mut self, value: f64) {
        self.config.message_loss_mut().fail_rate = value;
    }

    pub(crate) fn set_link_fail_rate(&mut self, a: IpAddr, b: IpAddr, value: f64) {
        let pair = Pair::new(a, b);
        self.links
            .get_mut(&pair)
            .unwrap_or_else(|| panic!("unable to find link between {pair:?}"))
            .message_loss(self.config.message_loss())
            .fail_rate = value;
    }

    // Send a `message` from `src` to `dst`. This method returns immediately,
    // and message delivery happens at a later time (or never, if the link is
    // broken).
    pub(crate) fn enqueue_message(
        &mut self,
        rand: &mut dyn RngCore,
        src: SocketAddr,
        dst: SocketAddr,
        message: Protocol,
    ) -> Result<()> {
        if let Some(index) = self.links.get_index_of(&Pair::new(src.ip(), dst.ip())) {
            let config = &self.config;
            counted(&mut self.links, &mut self.links_of, index, |link| {
                link.enqueue_message(config, rand, src, dst, message)
            })
        } else {
            Err(Error::new(
                ErrorKind::ConnectionRefused,
                "Connection refused",
            ))
        }
    }

    // Move messages from any network links to the `dst` host.
    //
    // (squadsim patch.) `of` is `dst`'s index ([`Topology::add_host`]).
    pub(crate) fn deliver_messages(&mut self, rand: &mut dyn RngCore, of: usize, dst: &mut Host) {
        debug_assert_eq!(self.links_of.get_index_of(&dst.addr), Some(of));
        // (squadsim patch.) Nothing waits for it on any of its links: the
        // walk below would move nothing.
        if self.links_of[of].arrivals == 0 {
            return;
        }
        for i in 0..self.links_of[of].links.len() {
            let index = self.links_of[of].links[i];
            let end = usize::from(self.links[index].ends[1] == of);
            let config = &self.config;
            counted(&mut self.links, &mut self.links_of, index, |link| {
                link.deliver_messages(config, rand, dst, end)
            });
        }
    }

    /// (squadsim patch.) How many messages wait on `addr`'s links to be
    /// delivered to it at its turn ([`Topology::deliver_messages`] moves them).
    pub(crate) fn arrivals(&self, addr: IpAddr) -> usize {
        self.links_of.get(&addr).map_or(0, |of| of.arrivals)
    }

    /// (squadsim patch.) [`Topology::arrivals`] of the `index`-th host.
    pub(crate) fn arrivals_at(&self, index: usize) -> usize {
        self.links_of[index].arrivals
    }

    /// (squadsim patch.) [`Topology::arrivals`] counted by walking `addr`'s
    /// links, for tests of the kept count.
    pub(crate) fn arrivals_walked(&self, addr: IpAddr) -> usize {
        let Some(of) = self.links_of.get_index_of(&addr) else {
            return 0;
        };
        self.links_of[of]
            .links
            .iter()
            .map(|&index| {
                let link = &self.links[index];
                link.deliverable[usize::from(link.ends[1] == of)].len()
            })
            .sum()
    }

    pub(crate) fn hold(&mut self, a: IpAddr, b: IpAddr) {
        self.get_link_mut(&Pair::new(a, b)).hold();
    }

    pub(crate) fn release(&mut self, a: IpAddr, b: IpAddr) {
        self.get_link_mut(&Pair::new(a, b)).release();
    }

    pub(crate) fn partition(&mut self, a: IpAddr, b: IpAddr) {
        self.get_link_mut(&Pair::new(a, b)).explicit_partition();
    }

    pub(crate) fn partition_oneway(&mut self, a: IpAddr, b: IpAddr) {
        let link = &mut self.get_link_mut(&Pair::new(a, b));
        link.partition_oneway(a, b);
    }

    pub(crate) fn repair(&mut self, a: IpAddr, b: IpAddr) {
        self.get_link_mut(&Pair::new(a, b)).explicit_repair();
    }

    pub(crate) fn repair_oneway(&mut self, a: IpAddr, b: IpAddr) {
        let link = &mut self.get_link_mut(&Pair::new(a, b));
        link.repair_oneway(a, b);
    }

    pub(crate) fn tick_by(&mut self, duration: Duration) {
        self.now += turn_of(duration);
        let now = self.now;
        for index in 0..self.links.len() {
            let link = &mut self.links[index];
            link.now = now;
            if link.is_due() {
                counted(
                    &mut self.links,
                    &mut self.links_of,
                    index,
                    Link::process_deliverables,
                );
            }
        }
    }

    /// (squadsim patch.) How long from the network's now until the first
    /// message on any link can be delivered (zero when one waits for its
    /// host's turn), `None` when none is in flight or every one is held.
    pub(crate) fn next_delivery(&self) -> Option<Duration> {
        let mut next: Option<Duration> = None;
        for link in self.links.values() {
            if link.deliverable.iter().any(|queue| !queue.is_empty()) {
                return Some(Duration::ZERO);
            }
            if let Some(at) = link.due {
                let wait = at.saturating_duration_since(link.now);
                next = Some(next.map_or(wait, |n| n.min(wait)));
            }
        }
        next
    }

    pub(crate) fn iter_mut(&mut self) -> LinksIter<'_> {
        LinksIter {
            iter: self.links.iter_mut(),
        }
    }

    #[inline]
    fn get_link_mut(&mut self, pair: &Pair) -> &mut Link {
        self.links
            .get_mut(pair)
            .unwrap_or_else(|| panic!("unable to find link between {pair:?}"))
    }
}

/// (squadsim patch.) How far a tick of `duration` moves the network's clock:
/// as far as a paused tokio runtime's clock moves over a `block_on` of a
/// sleep of `duration` started on a millisecond (the network's first tick
/// starts on one, and each tick moves it by whole milliseconds): tokio rounds
/// a sleep's deadline up to the millisecond and, with nothing else to do,
/// advances the paused clock to it.
pub(crate) fn turn_of(duration: Duration) -> Duration {
    let ms = duration.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// (squadsim patch.) Runs `f` on the link at `index`, keeping its ends'
/// [`HostLinks::arrivals`] in step with what `f` moved in or out of its
/// `deliverable` queues.
fn counted<R>(
    links: &mut FxIndexMap<Pair, Link>,
    links_of: &mut AddrMap<HostLinks>,
    index: usize,
    f: impl FnOnce(&mut Link) -> R,
) -> R {
    let link = &mut links[index];
    let before = link.deliverable.each_ref().map(VecDeque::len);
    let result = f(link);
    for (end, before) in before.into_iter().enumerate() {
        let after = link.deliverable[end].len();
        if after != before {
            let arrivals = &mut links_of[link.ends[end]].arrivals;
            *arrivals = *arrivals + after - before;
        }
    }
    result
}

/// Represents a message sent between two hosts on the network.
struct Sent {
    src: SocketAddr,
    dst: SocketAddr,
    status: DeliveryStatus,
    protocol: Protocol,
}

impl Sent {
    fn deliver(&mut self, now: Instant) {
        self.status = DeliveryStatus::DeliverAfter(now);
    }
}

enum DeliveryStatus {
    DeliverAfter(Instant),
    Hold,
}

impl Link {
    fn new(now: Instant, ends: [usize; 2]) -> Link {
        Link {
            state_a_b: State::Healthy,
            state_b_a: State::Healthy,
            config: config::Link::default(),
            sent: VecDeque::new(),
            deliverable: Default::default(),
            due: None,
            now,
            ends,
        }
    }

    fn enqueue_message(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        src: SocketAddr,
        dst: SocketAddr,
        message: Protocol,
    ) -> Result<()> {
        tracing::trace!(target: TRACING_TARGET, ?src, ?dst, protocol = %message, "Send");

        self.rand_partition_or_repair(global_config, rand);
        let result = self.enqueue(global_config, rand, src, dst, message);
        self.process_deliverables();
        result
    }

    fn get_state_for_message(&self, src: IpAddr, dst: IpAddr) -> State {
        // Between each pair of ip-addresses there can exist a link.
        // A link between two such pairs can be constructed as
        // Pair::new(x,y) or Pair::new(y,x). These two expressions create
        // the exact same link. We denote one of the ends of the link as 'a',
        // and the other 'b'. 'a' is always the one that compares smaller, i.e,
        // `a < b` holds.
        if src < dst {
            self.state_a_b
        } else {
            self.state_b_a
        }
    }

    // src -> link -> dst
    //        ^-- you are here!
    //
    // Messages may be dropped, sit on the link for a while (due to latency, or
    // because the link has stalled), or be delivered immediately.
    // Link will return an Err(()) if the socket buffer is full.
    fn enqueue(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        src: SocketAddr,
        dst: SocketAddr,
        message: Protocol,
    ) -> Result<()> {
        let state = self.get_state_for_message(src.ip(), dst.ip());
        let status = match state {
            State::Healthy => {
                let delay = self.delay(global_config.latency(), rand);
                let at = self.now + delay;
                self.due = Some(self.due.map_or(at, |due| due.min(at)));
                DeliveryStatus::DeliverAfter(at)
            }
            // Only A->B is blocked, so B can send, so we can send if src is B
            State::Hold => {
                tracing::trace!(target: TRACING_TARGET,?src, ?dst, protocol = %message, "Hold");
                DeliveryStatus::Hold
            }
            _ => {
                tracing::trace!(target: TRACING_TARGET,?src, ?dst, protocol = %message, "Drop");
                return Ok(());
            }
        };

        let sent = Sent {
            src,
            dst,
            status,
            protocol: message,
        };

        self.sent.push_back(sent);
        Ok(())
    }

    /// (squadsim patch.) Whether a message in `sent` may be deliverable now
    /// (when not, [`Link::process_deliverables`] would move nothing).
    fn is_due(&self) -> bool {
        self.due.is_some_and(|due| due <= self.now)
    }

    fn process_deliverables(&mut self) {
        // (squadsim patch.) Nothing is due yet: the scan would move nothing.
        if !self.is_due() {
            return;
        }
        // TODO: `drain_filter` is not yet stable, and so we have a low quality
        // implementation here that avoids clones.
        let mut deliverable = 0;
        let mut due: Option<Instant> = None;
        for i in 0..self.sent.len() {
            let index = i - deliverable;
            let sent = &self.sent[index];
            if let DeliveryStatus::DeliverAfter(time) = sent.status {
                if time <= self.now {
                    let sent = self.sent.remove(index).unwrap();
                    let end = usize::from(sent.dst.ip() > sent.src.ip());
                    let envelope = Envelope {
                        src: sent.src,
                        dst: sent.dst,
                        message: sent.protocol,
                    };
                    self.deliverable[end].push_back(envelope);
                    deliverable += 1;
                } else {
                    due = Some(due.map_or(time, |due| due.min(time)));
                }
            }
        }
        self.due = due;
    }

    // FIXME: This implementation does not respect message delivery order. If
    // host A and host B are ordered (by addr), and B sends before A, then this
    // method will deliver A's message before B's.
    fn deliver_messages(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        host: &mut Host,
        end: usize,
    ) {
        if self.deliverable[end].is_empty() {
            return;
        }
        // Those ready now: a message bounced back below waits for the next turn.
        let deliverable = std::mem::take(&mut self.deliverable[end]);

        for message in deliverable {
            let (src, dst) = (message.src, message.dst);
            if let Err(message) = host.receive_from_network(message) {
                let _ = self.enqueue_message(global_config, rand, dst, src, message);
            }
        }
    }

    // Randomly break or repair this link.
    fn rand_partition_or_repair(&mut self, global_config: &config::Link, rand: &mut dyn RngCore) {
        let do_rand = self.rand_partition(global_config.message_loss(), rand);
        match (self.state_a_b, self.state_b_a) {
            (State::Healthy, _) | (_, State::Healthy) if do_rand => {
                self.state_a_b = State::RandPartition;
                self.state_b_a = State::RandPartition;

                self.sent.clear();
                self.due = None;
            }
            (State::RandPartition, _) | (_, State::RandPartition)
                if self.rand_repair(global_config.message_loss(), rand) =>
            {
                self.release();
            }
            _ => {}
        }
    }

    fn hold(&mut self) {
        self.state_a_b = State::Hold;
        self.state_b_a = State::Hold;

        for sent in &mut self.sent {
            sent.status = DeliveryStatus::Hold;
        }
        self.due = None;
    }

    // This link becomes healthy, and any held messages are scheduled for delivery.
    fn release(&mut self) {
        self.state_a_b = State::Healthy;
        self.state_b_a = State::Healthy;
        for sent in &mut self.sent {
            if let DeliveryStatus::Hold = sent.status {
                sent.deliver(self.now);
                self.due = Some(self.due.map_or(self.now, |due| due.min(self.now)));
            }
        }
    }

    fn explicit_partition(&mut self) {
        self.state_a_b = State::ExplicitPartition;
        self.state_b_a = State::ExplicitPartition;

        self.sent.clear();
        self.due = None;
    }

    fn partition_oneway(&mut self, from: IpAddr, to: IpAddr) {
        if from < to {
            self.state_a_b = State::ExplicitPartition;
        } else {
            self.state_b_a = State::ExplicitPartition;
        }

        self.sent.retain(|sent| sent.src.ip() != from);
        self.due = self
            .sent
            .iter()
            .filter_map(|sent| match sent.status {
                DeliveryStatus::DeliverAfter(at) => Some(at),
                DeliveryStatus::Hold => None,
            })
            .min();
    }

    fn repair_oneway(&mut self, from: IpAddr, to: IpAddr) {
        if from < to {
            self.state_a_b = State::Healthy;
        } else {
            self.state_b_a = State::Healthy;
        }
    }

    // Repair the link, without releasing any held messages.
    fn explicit_repair(&mut self) {
        self.state_a_b = State::Healthy;
        self.state_b_a = State::Healthy;
    }

    /// Should the link be randomly partitioned
    fn rand_partition(&self, global: &config::MessageLoss, rand: &mut dyn RngCore) -> bool {
        let config = self.config.message_loss.as_ref().unwrap_or(global);
        let fail_rate = config.fail_rate;
        fail_rate > 0.0 && rand.random_bool(fail_rate)
    }

    fn rand_repair(&self, global: &config::MessageLoss, rand: &mut dyn RngCore) -> bool {
        let config = self.config.message_loss.as_ref().unwrap_or(global);
        let repair_rate = config.repair_rate;
        repair_rate > 0.0 && rand.random_bool(repair_rate)
    }

    fn delay(&self, global: &config::Latency, rand: &mut dyn RngCore) -> Duration {
        let config = self.config.latency.as_ref().unwrap_or(global);

        let mult = config.latency_distribution.sample(rand);
        let range = (config.max_message_latency - config.min_message_latency).as_millis() as f64;
        let delay = config.min_message_latency + Duration::from_millis((range * mult) as _);

        std::cmp::min(delay, config.max_message_latency)
    }

    fn latency(&mut self, global: &config::Latency) -> &mut config::Latency {
        self.config.latency.get_or_insert_with(|| global.clone())
    }

    fn message_loss(&mut self, global: &config::MessageLoss) -> &mut config::MessageLoss {
        self.config
            .message_loss
            .get_or_insert_with(|| global.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Link;

    use super::*;

    #[test]
    #[should_panic(expected = "unable to find link between Pair(10.0.0.1, 192.168.0.1)")]
    fn link_access_gives_useful_panic_message() {
        let mut topo = Topology::new(Link::default());
        topo.hold("10.0.0.1".parse().unwrap(), "192.168.0.1".parse().unwrap());
    }
}
