//! A scripted HTTP/1.1 server for client tests: it answers each request with the next step of a
//! script (a response, a connection reset, or a stall) and records what it received.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Step {
    /// Answer with this status, headers and body.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection with a TCP reset instead of answering.
    Reset,
    /// Wait, then answer with the inner step (if the client is still there).
    Stall(Duration, Box<Step>),
    /// Answer 200 with `body`, sending the head at once and then the body in `pieces` parts,
    /// `gap` apart.
    Trickle {
        body: String,
        pieces: usize,
        gap: Duration,
    },
    /// Answer 200 with `body` in `pieces` chunks (`transfer-encoding: chunked`).
    Chunked { body: String, pieces: usize },
    /// Answer with the inner step, then close the connection (without saying so in a header).
    ThenClose(Box<Step>),
    /// Answer with exactly these bytes.
    Bytes(String),
}

pub fn json(status: u16, body: &str) -> Step {
    Step::Respond {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-amzn-RequestId".into(), format!("req-{status}")),
        ],
        body: body.into(),
    }
}

pub fn error(status: u16, code: &str, body: &str) -> Step {
    Step::Respond {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), code.into()),
            ("x-amzn-RequestId".into(), format!("req-{status}")),
        ],
        body: body.into(),
    }
}

pub fn raw(status: u16, headers: &[(&str, &str)], body: &str) -> Step {
    Step::Respond {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query exactly as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }
    /// The access key id in the Authorization header.
    pub fn access_key(&self) -> &str {
        let auth = self.header("authorization").unwrap_or_default();
        let credential = auth.split("Credential=").nth(1).unwrap_or_default();
        credential.split('/').next().unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    script: Vec<Step>,
    requests: Vec<Recorded>,
    /// Requests whose connection closed while the server was still stalling.
    abandoned: usize,
    connections: usize,
}

pub struct ScriptedServer {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    /// Starts on 127.0.0.1 with a free port. When the script runs out, answers `200 {}`.
    pub async fn start(script: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State {
            script: script.into_iter().rev().collect(),
            ..Default::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Self { url, state, task }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    pub fn abandoned(&self) -> usize {
        self.state.lock().unwrap().abandoned
    }

    pub fn push(&self, steps: Vec<Step>) {
        let mut state = self.state.lock().unwrap();
        for step in steps {
            state.script.insert(0, step);
        }
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    state.lock().unwrap().connections += 1;
    let mut buf = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let step = {
            let mut s = state.lock().unwrap();
            s.requests.push(request);
            s.script.pop().unwrap_or_else(|| json(200, "{}"))
        };
        if !answer(&mut stream, step, &state).await {
            return;
        }
    }
}

/// Returns false when the connection must end.
async fn answer(stream: &mut TcpStream, step: Step, state: &Arc<Mutex<State>>) -> bool {
    match step {
        #[allow(deprecated)] // SO_LINGER 0 is exactly what sends the RST wanted here.
        Step::Reset => {
            let _ = stream.set_linger(Some(Duration::ZERO));
            false
        }
        Step::Stall(delay, next) => {
            let mut probe = [0u8; 1];
            tokio::select! {
                _ = tokio::time::sleep(delay) => Box::pin(answer(stream, *next, state)).await,
                _ = stream.read(&mut probe) => {
                    state.lock().unwrap().abandoned += 1;
                    false
                }
            }
        }
        Step::Trickle { body, pieces, gap } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            let size = body.len().div_ceil(pieces.max(1)).max(1);
            for piece in body.as_bytes().chunks(size) {
                tokio::time::sleep(gap).await;
                if stream.write_all(piece).await.is_err() {
                    return false;
                }
            }
            true
        }
        Step::Chunked { body, pieces } => {
            let mut out = String::from(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            );
            let size = body.len().div_ceil(pieces.max(1)).max(1);
            for piece in body.as_bytes().chunks(size) {
                out.push_str(&format!("{:x}\r\n", piece.len()));
                out.push_str(std::str::from_utf8(piece).expect("ASCII body"));
                out.push_str("\r\n");
            }
            out.push_str("0\r\n\r\n");
            stream.write_all(out.as_bytes()).await.is_ok()
        }
        Step::ThenClose(step) => {
            Box::pin(answer(stream, *step, state)).await;
            false
        }
        Step::Bytes(bytes) => stream.write_all(bytes.as_bytes()).await.is_ok(),
        Step::Respond {
            status,
            headers,
            body,
        } => {
            let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            stream.write_all(out.as_bytes()).await.is_ok()
        }
    }
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

/// `GetRoom` of [`ROOM_ARN`].
pub async fn get_room(
    client: &ivschat::Client,
) -> Result<ivschat::operation::get_room::GetRoomOutput, ivschat::Error> {
    client.get_room().identifier(ROOM_ARN).send().await
}

/// A client for `url` with test credentials and near-zero backoff.
pub fn client(url: &str) -> ivschat::Client {
    client_with(url, |b| b)
}

pub fn client_with(
    url: &str,
    f: impl FnOnce(ivschat::ConfigBuilder) -> ivschat::ConfigBuilder,
) -> ivschat::Client {
    let builder = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(url)
        .credentials(ivschat::Credentials::new("test", "test", None))
        .retry_config(
            ivschat::RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)),
        );
    ivschat::Client::new(&f(builder).build().expect("config"))
}

pub const ROOM_ARN: &str = "arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234";
pub const LOG_ARN: &str =
    "arn:aws:ivschat:us-east-1:123456789012:logging-configuration/ABCD12345678";

/// The current-thread runtime the blocking calls of a test binary share, as a binding's do.
pub fn blocking_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// A host's event loop as the Node binding runs one: a thread that waits for a `HostedLoop`'s
/// descriptor with poll(2) and turns the loop, its timers on a runtime of its own. One per test
/// binary, so a client's connections are kept between calls as under Node.
#[cfg(all(unix, feature = "hosted"))]
pub struct Host {
    hosted: Arc<ivschat::HostedLoop>,
    thread: std::thread::ThreadId,
}

#[cfg(all(unix, feature = "hosted"))]
impl Host {
    pub fn get() -> &'static Host {
        static HOST: std::sync::OnceLock<Host> = std::sync::OnceLock::new();
        HOST.get_or_init(|| {
            let runtime = Box::leak(Box::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("runtime"),
            ));
            let hosted =
                Arc::new(ivschat::HostedLoop::new(runtime.handle().clone()).expect("loop"));
            let turned = hosted.clone();
            let thread = std::thread::spawn(move || {
                loop {
                    let mut fd = libc::pollfd {
                        fd: turned.fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd.
                    unsafe { libc::poll(&mut fd, 1, -1) };
                    turned.turn();
                }
            });
            Host {
                hosted,
                thread: thread.thread().id(),
            }
        })
    }

    /// Runs `task` on the host's thread and gives its output (`None` if the task was dropped
    /// unfinished).
    pub async fn run<T: Send + 'static>(
        &self,
        task: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.hosted.spawn(async move {
            let _ = tx.send(task.await);
        });
        rx.await.ok()
    }

    /// The host's thread.
    pub fn thread(&self) -> std::thread::ThreadId {
        self.thread
    }
}
