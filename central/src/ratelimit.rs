//! Token buckets in memory, per client address and per venue code. Several server processes
//! behind a balancer each allow their share of the rate ([`Limiter::share`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Buckets kept at most; past it the full ones are forgotten, and if that is not enough, half
/// of the rest (a forgotten client starts with a full bucket: memory stays bounded whatever
/// the keys, at the price of letting some clients start over).
const MAX_BUCKETS: usize = 100_000;
/// Longer keys are cut: a key is ours (an address or a parsed code), never a client's text.
const MAX_KEY: usize = 64;

pub struct Limiter {
    per_minute: u32,
    /// The server processes sharing the rate (see [`Limiter::share`]).
    shared_by: AtomicU32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Limiter {
        Limiter { per_minute: per_minute.max(1), shared_by: AtomicU32::new(1), buckets: Mutex::new(HashMap::new()) }
    }

    /// Several processes behind a balancer that spreads requests evenly (nginx's round robin)
    /// each see their share of every client's requests: each allows its share of the rate, so
    /// together they allow the rate, with no shared counter to ask on every request.
    pub fn share(&self, processes: u32) {
        self.shared_by.store(processes.max(1), Ordering::Relaxed);
    }

    /// What this process allows a minute.
    pub fn per_minute(&self) -> f64 {
        f64::from((self.per_minute / self.shared_by.load(Ordering::Relaxed).max(1)).max(1))
    }

    /// Takes one token for `key`; false when the bucket is empty. A bucket holds one minute's
    /// worth, so short bursts (a family checking in together) pass.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let cap = self.per_minute();
        let Ok(mut map) = self.buckets.lock() else { return true };
        if map.len() >= MAX_BUCKETS {
            // Forget full buckets: they would allow the next request anyway.
            map.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * cap / 60.0 < cap);
            if map.len() >= MAX_BUCKETS / 2 {
                let mut n = 0usize;
                map.retain(|_, _| {
                    n += 1;
                    n.is_multiple_of(2)
                });
            }
        }
        let key = match key.char_indices().nth(MAX_KEY) {
            Some((i, _)) => key.get(..i).unwrap_or(key),
            None => key,
        };
        let (tokens, at) = map.entry(key.to_owned()).or_insert((cap, now));
        let refill = now.duration_since(*at).as_secs_f64() * cap / 60.0;
        *tokens = (*tokens + refill).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Requests in flight per client: one client (a slow-body script from one address) holds at
/// most `cap` of the server's slots, so it cannot hold them all.
pub struct InFlight {
    cap: u32,
    by_client: Mutex<HashMap<String, u32>>,
}

/// A client's slot, given back when the request ends (whichever way it ends).
pub struct Slot {
    of: std::sync::Arc<InFlight>,
    key: String,
}

impl InFlight {
    pub fn new(cap: u32) -> std::sync::Arc<InFlight> {
        std::sync::Arc::new(InFlight { cap: cap.max(1), by_client: Mutex::new(HashMap::new()) })
    }

    /// A slot for `key`, or `None` when it holds `cap` already.
    pub fn enter(self: &std::sync::Arc<Self>, key: &str) -> Option<Slot> {
        let Ok(mut map) = self.by_client.lock() else { return None };
        let n = map.entry(key.to_owned()).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Slot { of: self.clone(), key: key.to_owned() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.of.by_client.lock() {
            if let Some(n) = map.get_mut(&self.key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(&self.key);
                }
            }
        }
    }
}

/// The key a client's requests are counted under. Behind `trusted_hops` proxies of our own
/// (0: none, the peer is the client), the client is the entry those proxies appended to
/// `X-Forwarded-For`, counted from the right: what a client writes there itself stands to the
/// left and is never believed. An IPv6 client is counted by its /64 (one household or phone
/// holds a whole /64, and could otherwise take a fresh address for every request).
pub fn client_key(peer: std::net::IpAddr, forwarded_for: Option<&str>, trusted_hops: usize) -> String {
    let from_proxy = (trusted_hops > 0)
        .then_some(forwarded_for)
        .flatten()
        .and_then(|xff| {
            let hops: Vec<&str> = xff.split(',').map(str::trim).collect();
            hops.len().checked_sub(trusted_hops).and_then(|i| hops.get(i).copied())
        })
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
    match from_proxy.unwrap_or(peer) {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_behind_one_balancer_each_allow_their_share() {
        let alone = Limiter::new(120);
        assert_eq!((0..200).filter(|_| alone.allow("10.0.0.9")).count(), 120);
        // Three processes: each allows a third of a client's minute, so the three allow it once.
        let one_of_three = Limiter::new(120);
        one_of_three.share(3);
        assert_eq!((0..200).filter(|_| one_of_three.allow("10.0.0.9")).count(), 40);
        // Never nothing at all, whatever the count.
        let tiny = Limiter::new(2);
        tiny.share(50);
        assert_eq!((0..10).filter(|_| tiny.allow("10.0.0.9")).count(), 1);
    }

    #[test]
    fn a_client_is_counted_by_what_our_proxy_saw_and_ipv6_by_its_64() {
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap_or_else(|_| unreachable!());
        // No proxy trusted: the header is ignored, whatever it says.
        assert_eq!(client_key(proxy, Some("1.2.3.4"), 0), "10.0.0.2");
        // One proxy: the entry it appended (the rightmost), not what the client wrote before it.
        assert_eq!(client_key(proxy, Some("6.6.6.6, 203.0.113.9"), 1), "203.0.113.9");
        assert_eq!(client_key(proxy, Some("203.0.113.9"), 1), "203.0.113.9");
        // Two proxies (a CDN, then ours): the second from the right.
        assert_eq!(client_key(proxy, Some("6.6.6.6, 203.0.113.9, 198.51.100.1"), 2), "203.0.113.9");
        // Fewer entries than hops, or garbage: the peer.
        assert_eq!(client_key(proxy, Some("203.0.113.9"), 2), "10.0.0.2");
        assert_eq!(client_key(proxy, Some("<script>"), 1), "10.0.0.2");
        assert_eq!(client_key(proxy, None, 1), "10.0.0.2");
        // IPv6: one /64 is one client, however many addresses it uses.
        let a = client_key("2001:db8:1:2:aaaa::1".parse().unwrap_or_else(|_| unreachable!()), None, 0);
        let b = client_key("2001:db8:1:2:ffff:1:2:3".parse().unwrap_or_else(|_| unreachable!()), None, 0);
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_ne!(a, client_key("2001:db8:1:3::1".parse().unwrap_or_else(|_| unreachable!()), None, 0));
        assert_eq!(client_key("::ffff:1.2.3.4".parse().unwrap_or_else(|_| unreachable!()), None, 0), "1.2.3.4");
    }

    #[test]
    fn memory_stays_bounded_whatever_the_keys() {
        let l = Limiter::new(1);
        for i in 0..(MAX_BUCKETS * 3) {
            l.allow(&format!("{i}-{}", "x".repeat(i % 200)));
        }
        let map = l.buckets.lock().unwrap_or_else(|e| e.into_inner());
        assert!(map.len() <= MAX_BUCKETS, "{}", map.len());
        assert!(map.keys().all(|k| k.chars().count() <= MAX_KEY));
    }

    #[test]
    fn a_client_holds_at_most_its_share_of_slots_and_gets_them_back() {
        let f = InFlight::new(2);
        let (a, b) = (f.enter("1.2.3.4"), f.enter("1.2.3.4"));
        assert!(a.is_some() && b.is_some());
        assert!(f.enter("1.2.3.4").is_none());
        assert!(f.enter("5.6.7.8").is_some(), "another client is not held up");
        drop(a);
        assert!(f.enter("1.2.3.4").is_some());
        drop(b);
        assert!(f.by_client.lock().map(|m| m.get("1.2.3.4").copied()).unwrap_or_default().is_none());
    }

    #[test]
    fn a_bucket_empties_and_others_are_untouched() {
        let l = Limiter::new(3);
        assert!(l.allow("a") && l.allow("a") && l.allow("a"));
        assert!(!l.allow("a"));
        assert!(l.allow("b"));
    }
}
