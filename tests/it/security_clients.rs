//! Slow, idle and numerous clients, over raw sockets on loopback: a request head that does
//! not arrive within `timeouts.client_header_ms` (never finished, or trickled) is a 408 in
//! the envelope and a close; at `max_connections` the proxy logs one line and keeps
//! answering (through the real binary). Bounded: a handful of sockets, a few seconds each.

use crate::cli_support;
use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cli_support::{wait_for_address, wait_for_line, Home};
use common::{env_config, parse_answer, MockUpstream, Proxy};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PARTIAL_HEAD: &str = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n";

async fn proxy(header: Duration) -> (MockUpstream, Proxy) {
    let upstream = MockUpstream::start().await;
    let mut config = env_config(&upstream, &[]);
    config.resilience.timeouts.client_header = header;
    (upstream, Proxy::start(config).await)
}

fn is_head_timeout(status: u16, body: &Value) {
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    assert_eq!(body["error"]["code"], "request_timeout", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("request head"), "{message}");
}

#[tokio::test]
async fn a_head_that_never_finishes_is_a_408_and_a_close() {
    let (_upstream, proxy) = proxy(Duration::from_millis(500)).await;
    let mut socket = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    socket.write_all(PARTIAL_HEAD.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // Reads to the end: the proxy must close the connection.
    tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer))
        .await
        .expect("the proxy kept the connection open")
        .unwrap();
    let (status, body) = parse_answer(&String::from_utf8_lossy(&answer));
    is_head_timeout(status, &body);
}

#[tokio::test]
async fn a_trickled_head_is_cut_at_the_head_deadline() {
    let (_upstream, proxy) = proxy(Duration::from_millis(500)).await;
    let socket = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let (mut read, mut write) = socket.into_split();
    // One header byte every 50 ms, for far longer than the deadline.
    let trickle = tokio::spawn(async move {
        write.write_all(PARTIAL_HEAD.as_bytes()).await?;
        for byte in "x-slow: ".bytes().chain(std::iter::repeat(b'a')).take(200) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            write.write_all(&[byte]).await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut answer))
        .await
        .expect("the trickling client was never cut")
        .unwrap();
    trickle.abort();
    let (status, body) = parse_answer(&String::from_utf8_lossy(&answer));
    is_head_timeout(status, &body);
}

#[tokio::test]
async fn an_idle_connection_is_closed_without_an_answer() {
    let (_upstream, proxy) = proxy(Duration::from_millis(300)).await;
    let mut socket = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer))
        .await
        .expect("the idle connection stayed open")
        .unwrap();
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
}

/// Sends `request` on a new connection; the answer is read on a thread until the proxy
/// closes (at most 10 s).
fn send(port: u16, request: &str) -> std::thread::JoinHandle<String> {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket.write_all(request.as_bytes()).unwrap();
    std::thread::spawn(move || {
        let mut answer = Vec::new();
        let _ = socket.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
}

#[test]
fn at_the_connection_cap_the_proxy_notes_it_once_and_keeps_answering() {
    let home = Home::new();
    let (server, lines) = home.serve_with(&serde_json::json!({
        "max_connections": 3,
        "timeouts": {"client_header_ms": 1500},
        "providers": [{"name": "groq", "api_key": "${GROQ_API_KEY}"}],
        "routes": {"default": "groq,openai/gpt-oss-120b"}
    }));
    let mut seen = Vec::new();
    wait_for_line(&lines, &mut seen, "open file descriptor limit");
    wait_for_address(&lines, &mut seen);

    // Five clients that never finish their heads: three fill the cap, two wait, and so
    // does the health check behind them until the head deadline frees the slots.
    let slow: Vec<_> = (0..5).map(|_| send(home.port, PARTIAL_HEAD)).collect();
    let started = Instant::now();
    let health = send(
        home.port,
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .join()
    .unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(started.elapsed() < Duration::from_secs(10));
    for answer in slow {
        let answer = answer.join().unwrap();
        let (status, body) = parse_answer(&answer);
        is_head_timeout(status, &body);
    }

    cli_support::kill(server.0.id(), "TERM");
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(10)) {
        seen.push(line);
    }
    let noted = seen
        .iter()
        .filter(|line| line.contains("connection cap reached"))
        .count();
    assert_eq!(noted, 1, "{seen:#?}");
}
