//! Headless Chromium driven over the DevTools protocol, for tests of the dashboard: the page
//! is loaded at a given window size, then JavaScript run in it measures what a user would
//! see (what is drawn, where, whether it fits). The protocol runs over a WebSocket; the few
//! frame shapes it needs (masked text frames out, unmasked frames in) are written here
//! rather than adding a WebSocket crate for one test.
//!
//! Without Chromium (`apt-get install chromium`, or `CHROMIUM=/path`) [`Browser::find`]
//! says so and the test skips, unless `CCPROXY_REQUIRE_CLIENTS=1` makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use super::clients;

/// Everything the browser is given to do has this long.
const DEADLINE: Duration = Duration::from_secs(60);

/// A Chromium binary.
pub struct Browser(PathBuf);

impl Browser {
    /// Chromium from `CHROMIUM` or `PATH`; `None` (after the skip notice) without one.
    pub fn find() -> Option<Self> {
        let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
            let dirs = std::env::var_os("PATH")?;
            std::env::split_paths(&dirs)
                .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
                .find(|path| path.is_file())
        });
        if found.is_none() {
            clients::require_or_skip(
                "Chromium (`apt-get install chromium`, or CHROMIUM=/path)",
                false,
            );
        }
        found.map(Self)
    }

    /// Opens `url` in a fresh headless browser whose window is `width` × `height`.
    pub async fn open(&self, url: &str, width: u32, height: u32) -> Page {
        let profile = std::env::temp_dir().join(format!(
            "ccproxy-chromium-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let mut child = Command::new(&self.0)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().expect("chromium's stderr");
        let port = tokio::time::timeout(DEADLINE, devtools_port(stderr))
            .await
            .expect("chromium opened its DevTools port in time");
        let socket = page_socket(port, url).await;
        let mut page = Page {
            socket,
            next_id: 0,
            _child: child,
            profile,
        };
        // A headless window is at least 500 px wide: narrower ones are emulated.
        let metrics =
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false});
        page.call("Emulation.setDeviceMetricsOverride", metrics)
            .await;
        page
    }
}

/// Reads Chromium's `DevTools listening on ws://127.0.0.1:PORT/...` line (and keeps
/// draining its standard error so it never blocks on a full pipe).
async fn devtools_port(stderr: tokio::process::ChildStderr) -> u16 {
    let mut lines = BufReader::new(stderr).lines();
    while let Some(line) = lines.next_line().await.expect("chromium's stderr") {
        if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
            let port = rest.split('/').next().and_then(|p| p.parse().ok());
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return port.expect("a port in the DevTools line");
        }
    }
    panic!("chromium exited without opening its DevTools port");
}

/// Connects to the page that shows `url` (the one opened on the command line).
async fn page_socket(port: u16, url: &str) -> Socket {
    let list = format!("http://127.0.0.1:{port}/json/list");
    for _ in 0..100 {
        let targets: Vec<Value> = match reqwest::get(&list).await {
            Ok(response) => response.json().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let page = targets
            .iter()
            .find(|t| t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url)));
        if let Some(ws) = page.and_then(|p| p["webSocketDebuggerUrl"].as_str()) {
            return Socket::connect(ws).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromium never listed a page for {url}");
}

/// One page under test; the browser is killed and its profile removed when dropped.
pub struct Page {
    socket: Socket,
    next_id: u64,
    _child: Child,
    profile: PathBuf,
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Page {
    /// Sends one DevTools command and returns its `result`.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"id": id, "method": method, "params": params});
        tokio::time::timeout(DEADLINE, async {
            self.socket.send(&message.to_string()).await;
            loop {
                let answer: Value = serde_json::from_str(&self.socket.receive().await)
                    .expect("DevTools speaks JSON");
                if answer["id"] == id {
                    assert!(answer["error"].is_null(), "{method}: {answer}");
                    return answer["result"].clone();
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{method} answered in time"))
    }

    /// The value of `expression` in the page (it may be a promise); panics on an exception.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let params = json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        let result = self.call("Runtime.evaluate", params).await;
        assert!(
            result["exceptionDetails"].is_null(),
            "{expression}: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Waits until `condition` is true in the page.
    pub async fn wait_for(&mut self, condition: &str) {
        for _ in 0..200 {
            if self.eval(condition).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never got to `{condition}`");
    }

    /// Saves a PNG of the whole page.
    pub async fn screenshot(&mut self, path: &Path) {
        let params = json!({"format": "png", "captureBeyondViewport": true});
        let shot = self.call("Page.captureScreenshot", params).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("image data"))
            .expect("base64");
        std::fs::write(path, png).expect("write the screenshot");
    }
}

/// A client WebSocket (RFC 6455) carrying text messages.
struct Socket(TcpStream);

impl Socket {
    async fn connect(url: &str) -> Self {
        let rest = url.strip_prefix("ws://").expect("a ws:// URL");
        let (host, path) = rest.split_at(rest.find('/').expect("a path"));
        let mut stream = TcpStream::connect(host).await.expect("connect to DevTools");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.expect("the upgrade answer"));
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "upgrade refused: {head}");
        Self(stream)
    }

    async fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask: [u8; 4] = fastrand::u32(..).to_be_bytes();
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.0.write_all(&frame).await.expect("send a frame");
    }

    /// The next text message (fragments joined; control frames skipped).
    async fn receive(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let first = self.0.read_u8().await.expect("a frame");
            let second = self.0.read_u8().await.expect("a frame");
            let length = match second & 0x7f {
                126 => u64::from(self.0.read_u16().await.expect("length")),
                127 => self.0.read_u64().await.expect("length"),
                n => u64::from(n),
            };
            let mut payload = vec![0; usize::try_from(length).expect("a frame that fits")];
            self.0.read_exact(&mut payload).await.expect("the payload");
            if first & 0x0f >= 0x8 {
                continue;
            }
            message.extend_from_slice(&payload);
            if first & 0x80 != 0 {
                return String::from_utf8(message).expect("a text message");
            }
        }
    }
}
