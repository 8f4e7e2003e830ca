//! A loopback TCP proxy between one replica and the server, able to partition the replica
//! (stop forwarding both ways without closing anything, then resume) and to kill its connection
//! (close both sides). The server may move: [`Proxy::set_upstream`] points new connections at a
//! restarted server.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What every connection through the proxy obeys.
#[derive(Debug, Clone, Copy, Default)]
struct Control {
    /// While set, nothing is forwarded and no new connection reaches the server.
    partitioned: bool,
    /// Bumped by each kill: a connection accepted under an older generation closes.
    generation: u64,
}

/// The proxy could not start.
#[derive(Debug, thiserror::Error)]
#[error("starting a fault proxy on loopback")]
pub struct ProxyError(#[source] std::io::Error);

/// A running proxy; stops accepting (and drops its connections) when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    control: watch::Sender<Control>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Connections end when they see the next generation.
        self.kill();
    }
}

impl Proxy {
    /// Listens on an ephemeral loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<Proxy, ProxyError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(ProxyError)?;
        let addr = listener.local_addr().map_err(ProxyError)?;
        let upstream = Arc::new(Mutex::new(upstream));
        let (control, _) = watch::channel(Control::default());
        let accept = tokio::spawn(accept_loop(listener, upstream.clone(), control.clone()));
        Ok(Proxy {
            addr,
            upstream,
            control,
            accept,
        })
    }

    /// The sync URL through this proxy.
    pub fn url(&self) -> String {
        format!("ws://{}/v1/sync", self.addr)
    }

    /// Where new connections go from now on.
    pub fn set_upstream(&self, addr: SocketAddr) {
        *self.upstream.lock().unwrap_or_else(|p| p.into_inner()) = addr;
    }

    /// Stops forwarding in both directions; bytes wait in the socket buffers.
    pub fn partition(&self) {
        self.control.send_modify(|c| c.partitioned = true);
    }

    /// Resumes forwarding.
    pub fn heal(&self) {
        self.control.send_modify(|c| c.partitioned = false);
    }

    /// Whether forwarding is stopped.
    pub fn is_partitioned(&self) -> bool {
        self.control.borrow().partitioned
    }

    /// Closes every current connection on both sides (new ones are accepted as usual).
    pub fn kill(&self) {
        self.control.send_modify(|c| c.generation += 1);
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: Arc<Mutex<SocketAddr>>,
    control: watch::Sender<Control>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let to = *upstream.lock().unwrap_or_else(|p| p.into_inner());
        tokio::spawn(connection(client, to, control.subscribe()));
    }
}

/// Carries one connection until either side closes or a kill arrives.
async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    mut control: watch::Receiver<Control>,
) {
    let generation = control.borrow_and_update().generation;
    // A partitioned replica cannot reach the server: its connection waits here.
    if !wait_while_partitioned(&mut control, generation).await {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        // The server is down: the replica sees its connection close.
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mut up = vec![0_u8; 16 * 1024];
    let mut down = vec![0_u8; 16 * 1024];
    loop {
        if !wait_while_partitioned(&mut control, generation).await {
            return;
        }
        tokio::select! {
            read = client_read.read(&mut up) => match read {
                Ok(n) if n > 0 => {
                    if server_write.write_all(&up[..n]).await.is_err() {
                        return;
                    }
                }
                _ => return,
            },
            read = server_read.read(&mut down) => match read {
                Ok(n) if n > 0 => {
                    if client_write.write_all(&down[..n]).await.is_err() {
                        return;
                    }
                }
                _ => return,
            },
            changed = control.changed() => if changed.is_err() {
                return;
            },
        }
    }
}

/// Waits until forwarding may go on; `false` once the connection must close (killed, or the
/// proxy is gone).
async fn wait_while_partitioned(control: &mut watch::Receiver<Control>, generation: u64) -> bool {
    loop {
        let now = *control.borrow_and_update();
        if now.generation != generation {
            return false;
        }
        if !now.partitioned {
            return true;
        }
        if control.changed().await.is_err() {
            return false;
        }
    }
}
