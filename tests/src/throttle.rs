//! A TCP proxy on loopback that slows what clients send to `bytes_per_second` (answers pass at
//! full speed), so a test can act in the middle of an upload that loopback would otherwise
//! finish in milliseconds.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; it stops with the runtime that started it.
#[derive(Debug)]
pub struct Throttle {
    /// Where clients connect.
    pub addr: SocketAddr,
}

impl Throttle {
    /// Starts forwarding connections to `upstream`.
    pub async fn start(upstream: SocketAddr, bytes_per_second: u64) -> Throttle {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(client, upstream, bytes_per_second));
            }
        });
        Throttle { addr }
    }

    /// Its address as an HTTP base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, rate: u64) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
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
            tokio::time::sleep(Duration::from_micros(n as u64 * 1_000_000 / rate.max(1))).await;
        }
        let _closed = server_write.shutdown().await;
    };
    let down = async move {
        let _copied = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _closed = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}
