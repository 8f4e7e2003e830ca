//! Photo blobs from the outside: a binary HTTP/1.1 client for the tus and download routes (one
//! request per connection, read to EOF, bodies as bytes), photos made with the `image` crate,
//! and a phone that writes `PhotoRef`s into a storecheck so documents reference blobs.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient};
use enlace_core::model::storecheck::StoreSnapshot;
use enlace_core::model::{Instant, PhotoKind, PhotoRef, Storecheck};
use enlace_core::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where uploads are created.
pub const UPLOADS: &str = "/v1/blobs/uploads";

/// A whole answer, the body as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header as a number; panics if it is missing or no number.
    pub fn number(&self, name: &str) -> u64 {
        self.header(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no numeric {name} in {self:?}"))
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {:?}", self.status, self.text()))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The status line's reason and everything after it, byte for byte: what "forbidden looks
    /// exactly like missing" compares (the `Date` header aside, which tells the time only).
    pub fn comparable(&self) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let headers = self
            .headers
            .iter()
            .filter(|(n, _)| n != "date")
            .cloned()
            .collect();
        (self.status, headers, self.body.clone())
    }
}

/// Sends one request and reads the whole answer. `headers` are sent as given; `Content-Length`
/// is added when `body` is not empty or the method sends one.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> io::Result<Answer> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PATCH" | "PUT") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse(&raw)
}

/// Sends a `PATCH` that announces `declared` body bytes but sends only `sent` of them, then
/// closes its side: a connection that broke mid-upload. Returns once the server closed too.
pub async fn broken_patch(
    addr: SocketAddr,
    location: &str,
    token: &str,
    offset: u64,
    declared: usize,
    sent: &[u8],
) -> io::Result<()> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n\
         Content-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(sent).await?;
    stream.shutdown().await?;
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest).await;
    Ok(())
}

fn parse(raw: &[u8]) -> io::Result<Answer> {
    let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad chunk"))?;
        let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..line_end]).trim(), 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            return Ok(out);
        }
        let start = line_end + 2;
        out.extend_from_slice(&rest[start..start + size]);
        rest = &rest[start + size + 2..];
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `Upload-Metadata` declaring `sha256` and a file type.
pub fn metadata(sha256: &str) -> String {
    format!(
        "sha256 {},filetype {}",
        STANDARD.encode(sha256),
        STANDARD.encode("image/jpeg")
    )
}

/// A real JPEG of `width` x `height`, its pixels varied by `seed` (so two seeds differ).
pub fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x as u8).wrapping_mul(seed),
            (y as u8).wrapping_add(seed),
            ((x ^ y) as u8).wrapping_add(seed.wrapping_mul(7)),
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut io::Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("encode a JPEG");
    out
}

/// A real PNG of `width` x `height`.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([x as u8, y as u8, 9, 255])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(image)
        .write_to(&mut io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode a PNG");
    out
}

/// `len` bytes that sniff as a JPEG (its start-of-image marker, then noise): enough for the
/// size and memory tests, which never decode.
pub fn jpeg_like(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// `POST /v1/blobs/uploads` for `length` bytes declared to hash to `sha256`.
pub async fn create(addr: SocketAddr, token: &str, length: usize, sha256: &str) -> Answer {
    let headers = [
        bearer(token),
        ("Tus-Resumable", "1.0.0".into()),
        ("Upload-Length", length.to_string()),
        ("Upload-Metadata", metadata(sha256)),
    ];
    send(addr, "POST", UPLOADS, &headers, b"")
        .await
        .expect("the server answers")
}

/// `PATCH location` with `bytes` at `offset`.
pub async fn patch(
    addr: SocketAddr,
    location: &str,
    token: &str,
    offset: u64,
    bytes: &[u8],
) -> Answer {
    let headers = [
        bearer(token),
        ("Tus-Resumable", "1.0.0".into()),
        ("Content-Type", "application/offset+octet-stream".into()),
        ("Upload-Offset", offset.to_string()),
    ];
    send(addr, "PATCH", location, &headers, bytes)
        .await
        .expect("the server answers")
}

/// `HEAD location`.
pub async fn head(addr: SocketAddr, location: &str, token: &str) -> Answer {
    let headers = [bearer(token), ("Tus-Resumable", "1.0.0".into())];
    send(addr, "HEAD", location, &headers, b"")
        .await
        .expect("the server answers")
}

/// `GET path` with a bearer token (if any) and extra headers.
pub async fn get(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, String)],
) -> Answer {
    let mut headers: Vec<(&str, String)> = token.map(bearer).into_iter().collect();
    headers.extend(extra.iter().cloned());
    send(addr, "GET", path, &headers, b"")
        .await
        .expect("the server answers")
}

/// Uploads `bytes` whole (one `POST`, one `PATCH`); panics unless it is stored. Returns the hash.
pub async fn upload(addr: SocketAddr, token: &str, bytes: &[u8]) -> String {
    let sha = sha256_hex(bytes);
    let created = create(addr, token, bytes.len(), &sha).await;
    assert_eq!(created.status, 201, "create: {}", created.text());
    let location = created.header("location").expect("Location").to_owned();
    let done = patch(addr, &location, token, 0, bytes).await;
    assert_eq!(done.status, 204, "patch: {}", done.text());
    assert_eq!(done.number("upload-offset"), bytes.len() as u64);
    sha
}

/// The path of a blob.
pub fn blob_path(sha: &str) -> String {
    format!("/v1/blobs/{sha}")
}

/// A phone (store and sync client) of `user`, to put photos in documents.
#[derive(Debug)]
pub struct Phone {
    _dir: tempfile::TempDir,
    /// Its store.
    pub store: Arc<Store>,
    /// Its sync client.
    pub client: SyncClient,
}

impl Phone {
    /// Starts a phone syncing with `url` as the holder of `token`.
    pub fn start(url: &str, token: &str) -> Phone {
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
        let mut config = ClientConfig::new(url).with_token(token);
        config.backoff_initial = Duration::from_millis(50);
        config.backoff_max = Duration::from_millis(400);
        let client = SyncClient::start(store.clone(), config).expect("client");
        Phone {
            _dir: dir,
            store,
            client,
        }
    }

    /// Creates a storecheck on `account` by `by` with a photo per hash, and waits until the
    /// server has it.
    pub fn storecheck_with_photos(
        &self,
        account: &str,
        by: &str,
        photos: &[(&str, u64)],
    ) -> DocumentId {
        let mut check = storecheck(account, by);
        check.photos = photos
            .iter()
            .enumerate()
            .map(|(i, (sha, bytes))| {
                let photo = photo_ref(&format!("photo-{i}"), sha, *bytes);
                (photo.id.to_string(), photo)
            })
            .collect::<BTreeMap<_, _>>();
        let id = self.store.create(&check).expect("create");
        self.client
            .wait_until_saved(id, Duration::from_secs(60))
            .expect("saved on the server");
        id
    }

    /// Marks every photo of a storecheck deleted, and waits until the server has it.
    pub fn delete_photos(&self, id: DocumentId) {
        self.store
            .update::<Storecheck, _>(id, |s| {
                for photo in s.photos.values_mut() {
                    photo.deleted = true;
                }
                Ok(())
            })
            .expect("update");
        self.client
            .wait_until_saved(id, Duration::from_secs(60))
            .expect("saved on the server");
    }
}

/// A `PhotoRef` for a JPEG blob.
/// A new storecheck on `account` by `by` at Jumbo Costanera, without lines or photos.
pub fn storecheck(account: &str, by: &str) -> Storecheck {
    Storecheck::new(
        DocumentId::new_random(),
        account.parse().expect("id"),
        by.parse().expect("id"),
        Instant::new(1_780_000_000_000, "America/Santiago").expect("instant"),
        StoreSnapshot {
            id: "store-1".parse().expect("id"),
            code: "J-101".into(),
            name: "Jumbo Costanera".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2026-11",
    )
}

pub fn photo_ref(id: &str, sha: &str, bytes: u64) -> PhotoRef {
    PhotoRef {
        id: id.parse().expect("id"),
        sha256: sha.to_owned(),
        mime: "image/jpeg".into(),
        bytes,
        width: 64,
        height: 48,
        taken_at: None,
        geo: None,
        kind: PhotoKind::Shelf,
        caption: String::new(),
        deleted: false,
    }
}

/// The files under `dir`, recursively (for "nothing stored" checks).
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}
