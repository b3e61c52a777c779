//! `null-proxy`: the cheapest possible HTTP/1.1 forwarder, as a floor for proxy overhead.
//!
//! Each client connection gets one keep-alive connection to the upstream; every request
//! is sent on to `POST {upstream}/v1/chat/completions` with its body streamed through
//! untouched, and the answer streamed back untouched. No parsing, no translation, no
//! logging. Measured in the same run as ccproxy, it shows how much of the "added" latency
//! is the extra loopback hops and process wake-ups any proxy pays on this machine, and how
//! much is ccproxy's own work.
//!
//! The chosen address (`127.0.0.1:PORT`) is printed as the first line on stdout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

#[derive(Parser, Debug)]
#[command(about = "Minimal forwarding proxy: the floor for proxy overhead in benchmarks")]
struct Args {
    /// Port to listen on; 0 picks a free one (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Upstream address, `HOST:PORT`.
    #[arg(long)]
    upstream: SocketAddr,
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let upstream = args.upstream;
        tokio::spawn(async move {
            if let Err(error) = connection(stream, upstream).await {
                eprintln!("null-proxy: {error:#}");
            }
        });
    }
}

/// Serves one client connection over one upstream connection.
async fn connection(client: TcpStream, upstream: SocketAddr) -> anyhow::Result<()> {
    let socket = TcpStream::connect(upstream)
        .await
        .context("connect upstream")?;
    socket.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(socket)).await?;
    tokio::spawn(conn);
    let sender = Arc::new(Mutex::new(sender));
    let service = service_fn(move |request| forward(sender.clone(), upstream, request));
    http1::Builder::new()
        .serve_connection(TokioIo::new(client), service)
        .await
        .context("serve client")
}

async fn forward(
    sender: Arc<Mutex<SendRequest<Incoming>>>,
    upstream: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let (mut parts, body) = request.into_parts();
    parts.uri = hyper::Uri::from_static("/v1/chat/completions");
    if let Ok(host) = upstream.to_string().parse() {
        parts.headers.insert(HOST, host);
    }
    let mut sender = sender.lock().await;
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(response) => Ok(response.map(BodyExt::boxed)),
        Err(error) => {
            let mut response = Response::new(
                Full::new(Bytes::from(format!("null-proxy: {error}")))
                    .map_err(|never| match never {})
                    .boxed(),
            );
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            Ok(response)
        }
    }
}
