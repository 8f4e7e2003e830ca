//! A TCP proxy on loopback that slows what clients send to `bytes_per_second` (answers pass at
//! full speed), so a test can act in the middle of an upload that loopback would otherwise
//! finish in milliseconds. It counts the bytes that pass each way, so a benchmark can measure
//! what a phone downloads (give `u64::MAX` bytes per second for no throttling).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; it stops with the runtime that started it.
#[derive(Debug)]
pub struct Throttle {
    /// Where clients connect.
    pub addr: SocketAddr,
    counters: Arc<Counters>,
}

/// Bytes forwarded so far, over every connection.
#[derive(Debug, Default)]
struct Counters {
    up: AtomicU64,
    down: AtomicU64,
}

impl Throttle {
    /// Starts forwarding connections to `upstream`.
    pub async fn start(upstream: SocketAddr, bytes_per_second: u64) -> Throttle {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let counters = Arc::new(Counters::default());
        let counting = counters.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(
                    client,
                    upstream,
                    bytes_per_second,
                    counting.clone(),
                ));
            }
        });
        Throttle { addr, counters }
    }

    /// Bytes clients sent through the proxy so far.
    pub fn uploaded(&self) -> u64 {
        self.counters.up.load(Ordering::Relaxed)
    }

    /// Bytes clients received through the proxy so far.
    pub fn downloaded(&self) -> u64 {
        self.counters.down.load(Ordering::Relaxed)
    }

    /// Its address as an HTTP base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, rate: u64, counters: Arc<Counters>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let down_counter = counters.clone();
    let up = async move {
        let mut piece = [0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut piece).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if server_write.write_all(&piece[..n]).await.is_err() {
                break;
            }
            counters.up.fetch_add(n as u64, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_micros(n as u64 * 1_000_000 / rate.max(1))).await;
        }
        let _closed = server_write.shutdown().await;
    };
    let down = async move {
        let mut piece = [0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut piece).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if client_write.write_all(&piece[..n]).await.is_err() {
                break;
            }
            down_counter.down.fetch_add(n as u64, Ordering::Relaxed);
        }
        let _closed = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}
