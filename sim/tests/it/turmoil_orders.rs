//! The orders vendored turmoil's maps give what a simulation does: its links
//! are listed (`Sim::links`) and its hosts take their turns in the order the
//! hosts were registered. Both are `IndexMap`s (insertion order), hashed with
//! `FxHasher` (vendor/turmoil/PATCHED.md): the hasher must not reach any
//! order. A map iterated in hash order would list them otherwise.

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

/// Host names registered in an order neither sorted nor any hash's.
fn names() -> Vec<String> {
    (0..24u32).map(|i| format!("host-{}", (i * 7 + 5) % 24)).collect()
}

fn world() -> turmoil::Sim<'static> {
    turmoil::Builder::new().rng_seed(5).tick_duration(Duration::from_millis(1)).build()
}

#[test]
fn links_are_listed_in_the_order_their_hosts_were_registered() {
    let mut sim = world();
    let names = names();
    for name in &names {
        sim.host(name.as_str(), || async {
            std::future::pending::<()>().await;
            Ok(())
        });
    }
    let ips: Vec<IpAddr> = names.iter().map(|name| sim.lookup(name.as_str())).collect();
    let mut expected = Vec::new();
    for (k, &added) in ips.iter().enumerate() {
        for &existing in &ips[..k] {
            expected.push(if existing < added { (existing, added) } else { (added, existing) });
        }
    }
    let mut listed = Vec::new();
    sim.links(|links| listed.extend(links.map(|link| link.pair())));
    assert_eq!(listed, expected);
    for (name, ip) in names.iter().zip(&ips) {
        assert_eq!(sim.reverse_lookup(*ip).as_deref(), Some(name.as_str()));
    }
}

#[test]
fn hosts_take_their_turns_in_the_order_they_were_registered() {
    let mut sim = world();
    let names = names();
    let turns: Rc<RefCell<Vec<String>>> = Rc::default();
    for name in &names {
        let (turns, me) = (turns.clone(), name.clone());
        sim.host(name.as_str(), move || {
            let (turns, me) = (turns.clone(), me.clone());
            async move {
                loop {
                    turns.borrow_mut().push(me.clone());
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        });
    }
    for _ in 0..3 {
        sim.step().expect("steps");
    }
    assert_eq!(*turns.borrow(), [names.clone(), names.clone(), names].concat());
}
