//! HTTP questions to a running server, from the command line: is a ccproxy answering at
//! this URL, and what does its `/status` say. Blocking wrappers over one small runtime;
//! never through an HTTP proxy (a corporate `HTTPS_PROXY` must not see loopback calls).

use std::time::Duration;

use anyhow::Context;
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{Method, Request, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::report::StatusReport;
use crate::secret::Secret;

/// Where a server is and the key it wants (if any).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub key: Option<Secret>,
}

/// `http://HOST:PORT` for a client: a wildcard listen address is reached on loopback.
pub fn base_url(host: &str, port: u16) -> String {
    let host = match host {
        "0.0.0.0" | "" => "127.0.0.1",
        "::" | "[::]" => "[::1]",
        other if other.contains(':') && !other.starts_with('[') => {
            return format!("http://[{other}]:{port}");
        }
        other => other,
    };
    format!("http://{host}:{port}")
}

/// Who answers at a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A ccproxy server.
    Ccproxy,
    /// Something else (described).
    Other(String),
    /// Nothing: connection refused or no answer in time.
    Nothing,
}

pub struct Probe {
    runtime: tokio::runtime::Runtime,
    timeout: Duration,
}

/// Why a call got no HTTP answer.
enum Failure {
    /// No connection: refused, or not made in time.
    NoConnection(std::io::Error),
    /// Connected, but no whole answer in time.
    Silent,
    /// Connected, but what came back was not HTTP (or the connection broke).
    Broken(hyper::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoConnection(error) => write!(f, "cannot connect ({error})"),
            Self::Silent => f.write_str("no answer in time"),
            Self::Broken(error) => write!(f, "{error}"),
        }
    }
}

impl Probe {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(Self { runtime, timeout })
    }

    /// `method {url}` with the proxy key and a JSON body when given, on its own connection
    /// (these are occasional calls to this machine), connecting and then answering each
    /// within the timeout; the status and the whole body.
    async fn exchange(
        &self,
        method: Method,
        url: &str,
        key: Option<&Secret>,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Bytes), Failure> {
        let not_sent = |why: String| Failure::NoConnection(std::io::Error::other(why));
        let uri = url
            .parse::<Uri>()
            .map_err(|_| not_sent(format!("{url} is not a URL")))?;
        let authority = uri
            .authority()
            .ok_or_else(|| not_sent(format!("{url} names no host")))?;
        let port = authority.port_u16().unwrap_or(80);
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let mut request = Request::builder()
            .method(method)
            .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
            .header(HOST, authority.as_str());
        if let Some(key) = key {
            request = request.header("x-api-key", key.expose());
        }
        let body = body.map_or_else(Bytes::new, |body| Bytes::from(body.to_string()));
        if !body.is_empty() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(body))
            .map_err(|_| not_sent("the proxy key cannot be sent in a header".into()))?;
        let connect = tokio::net::TcpStream::connect((host, port));
        let stream = tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| Failure::NoConnection(std::io::ErrorKind::TimedOut.into()))?
            .map_err(Failure::NoConnection)?;
        let answer = async {
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(self.timeout, answer)
            .await
            .map_err(|_| Failure::Silent)?
            .map_err(Failure::Broken)
    }

    /// Asks `GET /` (public) who answers at `url`.
    pub fn identify(&self, url: &str) -> Answer {
        let url = format!("{url}/");
        self.runtime.block_on(async {
            let (status, body) = match self.exchange(Method::GET, &url, None, None).await {
                Ok(answer) => answer,
                Err(Failure::NoConnection(_)) => return Answer::Nothing,
                Err(Failure::Silent) => {
                    return Answer::Other(
                        "a program that accepts connections but does not answer HTTP".into(),
                    )
                }
                Err(error) => return Answer::Other(format!("a server that fails: {error}")),
            };
            let body: Option<Value> = serde_json::from_slice(&body).ok();
            match body {
                Some(body) if status.is_success() && body["service"] == "ccproxy" => {
                    Answer::Ccproxy
                }
                _ => Answer::Other(format!("another HTTP server (GET / answered {status})")),
            }
        })
    }

    /// `GET {path}` with the proxy key, as JSON; an error says what went wrong.
    pub fn get_json(&self, endpoint: &Endpoint, path: &str) -> anyhow::Result<Value> {
        self.call(endpoint, Method::GET, path, None)
    }

    /// A request with the proxy key (and a JSON body, if any); its JSON answer, or an error
    /// with the server's message.
    pub fn call(
        &self,
        endpoint: &Endpoint,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", endpoint.url);
        self.runtime.block_on(async {
            let (status, body) = self
                .exchange(method, &url, endpoint.key.as_ref(), body)
                .await
                .map_err(|failure| anyhow::anyhow!("no answer from {}: {failure}", endpoint.url))?;
            let body: Value = serde_json::from_slice(&body)
                .with_context(|| format!("{}{path} did not answer JSON", endpoint.url))?;
            if !status.is_success() {
                let message = body["error"]["message"].as_str().unwrap_or("no message");
                anyhow::bail!("{}{path} answered {status}: {message}", endpoint.url);
            }
            Ok(body)
        })
    }

    /// `GET {path}` with the proxy key, read as the report `T` (`crate::report`).
    pub fn get<T: DeserializeOwned>(&self, endpoint: &Endpoint, path: &str) -> anyhow::Result<T> {
        let body = self.get_json(endpoint, path)?;
        serde_json::from_value(body)
            .with_context(|| format!("{}{path} answered an unexpected document", endpoint.url))
    }

    /// The server's own PID, from `/status` (`None` if it will not say).
    pub fn server_pid(&self, endpoint: &Endpoint) -> Option<u32> {
        let status: StatusReport = self.get(endpoint, "/status").ok()?;
        Some(status.pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_reached_on_loopback() {
        assert_eq!(base_url("127.0.0.1", 3456), "http://127.0.0.1:3456");
        assert_eq!(base_url("0.0.0.0", 80), "http://127.0.0.1:80");
        assert_eq!(base_url("::", 80), "http://[::1]:80");
        assert_eq!(base_url("::1", 80), "http://[::1]:80");
        assert_eq!(base_url("localhost", 1), "http://localhost:1");
    }
}
