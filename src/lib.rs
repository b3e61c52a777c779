//! ccproxy: a local proxy that speaks Anthropic's Messages API and serves it from other
//! model providers. The binary (`main.rs`) is a thin shell over this library so that the
//! integration tests can start the real server in-process.

pub mod cli;
pub mod commands;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod logging;
pub mod providers;
pub mod router;
pub mod secret;
pub mod server;
pub mod sse;
pub mod stats;
pub mod store;
pub mod team;
pub mod tokens;
pub mod translate;
pub mod wire;
