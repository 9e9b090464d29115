//! Chat logging destinations, written as files under `--log-dir`.
//!
//! Every MESSAGE and EVENT delivered in a room whose `loggingConfigurationIdentifiers` is not
//! empty becomes one JSON line per destination, in the IVS chat-log record format:
//!
//! ```json
//! {"event_timestamp":"2026-11-28T07:21:59.870Z","type":"MESSAGE","version":"1.0",
//!  "payload":{"Type":"MESSAGE","Id":"…","RequestId":"…","Content":"…","Attributes":{…},
//!             "SendTime":"…","Sender":{"UserId":"…","Attributes":{…},"Ip":"127.0.0.1"}}}
//! ```
//!
//! Files (one folder per destination type; path components are sanitised so that `.`/`..` can
//! never escape the folder):
//!
//! * S3: `s3/<bucket>/AWSLogs/<account>/IVSChatLogs/1.0/<region>/room_<id>/YYYY/MM/DD/HH/<account>_IVSChatLogs_1.0_<region>_room_<id>_YYYYMMDDTHH00Z.log`
//!   (the service's key layout, uncompressed, one object per room and hour);
//! * CloudWatch Logs: `cloudwatch/<log group>/aws/IVSChatLogs/1.0/room_<id>.log` (the log
//!   stream `aws/IVSChatLogs/1.0/room_<id>` as a file);
//! * Firehose: `firehose/<delivery stream>/YYYY/MM/DD/HH/<delivery stream>.log`.
//!
//! Durability: records are queued (unbounded) **before** the frame is broadcast, so every
//! acknowledged message has its record queued. A dedicated thread appends them and flushes
//! whenever the queue runs empty; [`Sinks::close`] (clean shutdown) drains the queue, flushes and
//! fsyncs every file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// A logging destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    /// S3 bucket.
    S3(String),
    /// CloudWatch Logs log group.
    CloudWatchLogs(String),
    /// Firehose delivery stream.
    Firehose(String),
}

impl Destination {
    /// From a stored `destinationConfiguration` union.
    pub fn from_config(v: &Value) -> Option<Destination> {
        let s = |a: &str, b: &str| v.get(a)?.get(b)?.as_str().map(str::to_string);
        s("s3", "bucketName")
            .map(Destination::S3)
            .or_else(|| s("cloudWatchLogs", "logGroupName").map(Destination::CloudWatchLogs))
            .or_else(|| s("firehose", "deliveryStreamName").map(Destination::Firehose))
    }
}

/// One record to write.
#[derive(Debug, Clone)]
pub struct LogRecord {
    /// Where.
    pub destination: Destination,
    /// Account of the room.
    pub account_id: String,
    /// Region of the room.
    pub region: String,
    /// Room id (12 alphanumerics).
    pub room_id: String,
    /// When.
    pub time: DateTime<Utc>,
    /// The JSON line (without newline).
    pub line: String,
}

/// Build the chat-log JSON line for a frame payload (`type` is `MESSAGE` or `EVENT`).
pub fn record_line(kind: &str, time: &DateTime<Utc>, payload: &Value) -> String {
    json!({
        "event_timestamp": crate::control::fmt_time(time),
        "type": kind,
        "version": "1.0",
        "payload": payload,
    })
    .to_string()
}

enum Cmd {
    Write(Box<LogRecord>),
    Sync(mpsc::Sender<()>),
}

/// The writer: a thread fed by a channel.
pub struct Sinks {
    dir: PathBuf,
    tx: Mutex<Option<mpsc::Sender<Cmd>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Sinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sinks").field("dir", &self.dir).finish()
    }
}

/// One path component, safe: no separators, never `.`/`..`/empty.
fn component(s: &str) -> String {
    let c: String = s
        .chars()
        .map(|c| match c {
            '/' | '\\' | '\0' => '_',
            c => c,
        })
        .collect();
    if c.is_empty() || c.chars().all(|c| c == '.') {
        c.replace('.', "_") + "_"
    } else {
        c
    }
}

/// A relative path made of safe components (a CloudWatch log group may contain `/`).
fn nested(s: &str) -> PathBuf {
    let mut p = PathBuf::new();
    for part in s.split('/').filter(|p| !p.is_empty()) {
        p.push(component(part));
    }
    if p.as_os_str().is_empty() {
        p.push("_");
    }
    p
}

/// The file a record goes to, relative to the log dir.
pub fn relative_path(r: &LogRecord) -> PathBuf {
    let room = format!("room_{}", component(&r.room_id));
    match &r.destination {
        Destination::S3(bucket) => {
            let acct = component(&r.account_id);
            let region = component(&r.region);
            Path::new("s3")
                .join(component(bucket))
                .join("AWSLogs")
                .join(&acct)
                .join("IVSChatLogs")
                .join("1.0")
                .join(&region)
                .join(&room)
                .join(r.time.format("%Y/%m/%d/%H").to_string())
                .join(format!(
                    "{acct}_IVSChatLogs_1.0_{region}_{room}_{}.log",
                    r.time.format("%Y%m%dT%H00Z")
                ))
        }
        Destination::CloudWatchLogs(group) => Path::new("cloudwatch")
            .join(nested(group))
            .join("aws/IVSChatLogs/1.0")
            .join(format!("{room}.log")),
        Destination::Firehose(stream) => Path::new("firehose")
            .join(component(stream))
            .join(r.time.format("%Y/%m/%d/%H").to_string())
            .join(format!("{}.log", component(stream))),
    }
}

fn run(dir: PathBuf, rx: mpsc::Receiver<Cmd>) {
    let mut files: HashMap<PathBuf, BufWriter<File>> = HashMap::new();
    let open = |path: &Path| -> std::io::Result<BufWriter<File>> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(BufWriter::new(f))
    };
    let flush_all = |files: &mut HashMap<PathBuf, BufWriter<File>>, sync: bool| {
        for (path, w) in files.iter_mut() {
            if let Err(e) = w.flush() {
                tracing::warn!(path = %path.display(), error = %e, "chat log flush failed");
            }
            if sync {
                let _ = w.get_ref().sync_all();
            }
        }
    };
    let mut next = rx.recv().ok();
    while let Some(cmd) = next {
        match cmd {
            Cmd::Write(r) => {
                let path = dir.join(relative_path(&r));
                if !files.contains_key(&path) {
                    // Keep the number of open files bounded (hour rollover, many rooms).
                    if files.len() >= 256 {
                        flush_all(&mut files, false);
                        files.clear();
                    }
                    match open(&path) {
                        Ok(w) => {
                            files.insert(path.clone(), w);
                        }
                        Err(e) => {
                            tracing::warn!(path = %path.display(), error = %e, "cannot open chat log");
                        }
                    }
                }
                if let Some(w) = files.get_mut(&path) {
                    let res = w
                        .write_all(r.line.as_bytes())
                        .and_then(|_| w.write_all(b"\n"));
                    if let Err(e) = res {
                        tracing::warn!(path = %path.display(), error = %e, "chat log write failed");
                    }
                }
            }
            Cmd::Sync(done) => {
                flush_all(&mut files, true);
                let _ = done.send(());
            }
        }
        next = match rx.try_recv() {
            Ok(c) => Some(c),
            Err(mpsc::TryRecvError::Empty) => {
                flush_all(&mut files, false);
                rx.recv().ok()
            }
            Err(mpsc::TryRecvError::Disconnected) => None,
        };
    }
    flush_all(&mut files, true);
}

impl Sinks {
    /// Start the writer thread for `dir`.
    pub fn start(dir: PathBuf) -> std::io::Result<Sinks> {
        std::fs::create_dir_all(&dir)?;
        let (tx, rx) = mpsc::channel();
        let d = dir.clone();
        let thread = std::thread::Builder::new()
            .name("ivschat-chat-logs".into())
            .spawn(move || run(d, rx))?;
        Ok(Sinks {
            dir,
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queue a record (never blocks). Returns false after [`Sinks::close`].
    pub fn write(&self, record: LogRecord) -> bool {
        let g = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        match g.as_ref() {
            Some(tx) => tx.send(Cmd::Write(Box::new(record))).is_ok(),
            None => false,
        }
    }

    /// Wait until everything queued so far is written, flushed and fsynced.
    pub async fn sync(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        let sent = {
            let g = self.tx.lock().unwrap_or_else(|p| p.into_inner());
            g.as_ref()
                .is_some_and(|tx| tx.send(Cmd::Sync(done_tx)).is_ok())
        };
        if sent {
            let _ = tokio::task::spawn_blocking(move || done_rx.recv()).await;
        }
    }

    /// Stop accepting records, drain the queue, flush and fsync, and join the thread.
    pub async fn close(&self) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(tx);
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(d: Destination) -> LogRecord {
        LogRecord {
            destination: d,
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            room_id: "abcDEF123456".into(),
            time: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            line: "{}".into(),
        }
    }

    #[test]
    fn paths_are_contained() {
        let p = relative_path(&rec(Destination::S3("..".into())));
        assert!(p.starts_with("s3/___/AWSLogs"), "{}", p.display());
        assert!(p.to_string_lossy().ends_with(
            "room_abcDEF123456/2023/11/14/22/000000000000_IVSChatLogs_1.0_us-east-1_room_abcDEF123456_20231114T2200Z.log"
        ));
        let p = relative_path(&rec(Destination::CloudWatchLogs("/aws/../x/.".into())));
        assert_eq!(
            p,
            Path::new("cloudwatch/aws/___/x/__/aws/IVSChatLogs/1.0/room_abcDEF123456.log")
        );
        for c in p.components() {
            assert!(matches!(c, std::path::Component::Normal(_)));
        }
        let p = relative_path(&rec(Destination::Firehose("fh".into())));
        assert_eq!(p, Path::new("firehose/fh/2023/11/14/22/fh.log"));
    }

    #[test]
    fn destination_from_config() {
        assert_eq!(
            Destination::from_config(&json!({"s3": {"bucketName": "b"}})),
            Some(Destination::S3("b".into()))
        );
        assert_eq!(
            Destination::from_config(&json!({"firehose": {"deliveryStreamName": "f"}})),
            Some(Destination::Firehose("f".into()))
        );
        assert_eq!(Destination::from_config(&json!({})), None);
    }
}
