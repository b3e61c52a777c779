//! HTTP questions to a running server, from the command line: is a ccproxy answering at
//! this URL, and what does its `/status` say. Blocking wrappers over one small runtime;
//! never through an HTTP proxy (a corporate `HTTPS_PROXY` must not see loopback calls).

use std::time::Duration;

use anyhow::Context;
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
    client: reqwest::Client,
}

impl Probe {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .context("cannot build an HTTP client")?;
        Ok(Self { runtime, client })
    }

    /// Asks `GET /` (public) who answers at `url`.
    pub fn identify(&self, url: &str) -> Answer {
        let request = self.client.get(format!("{url}/"));
        self.runtime.block_on(async {
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) if error.is_connect() => return Answer::Nothing,
                Err(error) if error.is_timeout() => {
                    return Answer::Other(
                        "a program that accepts connections but does not answer HTTP".into(),
                    )
                }
                Err(error) => return Answer::Other(format!("a server that fails: {error}")),
            };
            let status = response.status();
            let body: Option<Value> = response.json().await.ok();
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
        self.call(endpoint, reqwest::Method::GET, path, None)
    }

    /// A request with the proxy key (and a JSON body, if any); its JSON answer, or an error
    /// with the server's message.
    pub fn call(
        &self,
        endpoint: &Endpoint,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", endpoint.url));
        if let Some(key) = &endpoint.key {
            request = request.header("x-api-key", key.expose());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .with_context(|| format!("no answer from {}", endpoint.url))?;
            let status = response.status();
            let body: Value = response
                .json()
                .await
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
