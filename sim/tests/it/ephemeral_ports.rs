//! A host picks each new connection's local port from its ephemeral range in
//! turn, skipping the ports its open connections still use, and takes a port
//! back once the connection on it has closed (turmoil's
//! `Host::assign_ephemeral_port`; whether a port is in use is read from an
//! index of the open connections' local ports, vendor/turmoil/PATCHED.md, not
//! from a scan of every open connection).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use turmoil::net::{TcpListener, TcpStream};

/// Every message's latency.
const LATENCY: Duration = Duration::from_millis(5);

/// Opens a connection to the server, keeping it and its local port.
async fn open(streams: &mut Vec<TcpStream>, ports: &RefCell<Vec<u16>>) -> turmoil::Result {
    let stream = TcpStream::connect("server:80").await?;
    ports.borrow_mut().push(stream.local_addr()?.port());
    streams.push(stream);
    Ok(())
}

/// The local ports of the client's connections, in the order they were opened,
/// from the ephemeral range 49152..=49157: four held open, the second and third
/// of them closed, then `more` opened.
fn ports_in_order(more: usize) -> Vec<u16> {
    // Seeded, with one fixed latency: the server must have seen a closed
    // connection end before its port comes back (turmoil frees the client's
    // port at once and panics on a second connection from a pair the server
    // still holds), so the wait below is longer than a close takes to arrive.
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .min_message_latency(LATENCY)
        .max_message_latency(LATENCY)
        .ephemeral_ports(49152..=49157)
        .simulation_duration(Duration::from_secs(60))
        .build();
    sim.host("server", || async {
        let listener = TcpListener::bind("0.0.0.0:80").await?;
        loop {
            // Each connection is held until the client closes it (its read ends).
            let (mut stream, _) = listener.accept().await?;
            tokio::task::spawn_local(async move {
                let mut byte = [0u8; 1];
                while matches!(stream.read(&mut byte).await, Ok(n) if n > 0) {}
            });
        }
    });
    let ports: Rc<RefCell<Vec<u16>>> = Rc::default();
    let seen = ports.clone();
    sim.client("client", async move {
        let mut streams = Vec::new();
        for _ in 0..4 {
            open(&mut streams, &seen).await?;
        }
        drop(streams.remove(1));
        drop(streams.remove(1));
        tokio::time::sleep(LATENCY * 10).await;
        for _ in 0..more {
            open(&mut streams, &seen).await?;
        }
        Ok(())
    });
    sim.run().expect("the simulation runs");
    ports.take()
}

#[test]
fn a_new_connection_takes_the_next_free_port_and_a_closed_ones_port_comes_back() {
    // 49156 and 49157 were never used; past the range's end, 49152 and 49155
    // are still open and skipped; 49153 and 49154 were closed and are taken again.
    assert_eq!(ports_in_order(4), [49152, 49153, 49154, 49155, 49156, 49157, 49153, 49154]);
}
