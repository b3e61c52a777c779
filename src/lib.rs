//! ccproxy: a local proxy that speaks Anthropic's Messages API and serves it from other
//! model providers. The binary (`main.rs`) is a thin shell over this library so that the
//! integration tests can start the real server in-process.
//!
//! Public are only the modules the binary, the integration tests and the examples reach
//! (the command line, the configuration, the server, the error type, and the pure pieces the
//! tests check directly); the rest is private, so the compiler reports what nobody uses.

pub mod cli;
pub mod commands;
pub mod config;
mod dispatch;
pub mod error;
mod logging;
mod providers;
pub mod report;
pub mod router;
pub mod secret;
pub mod server;
pub mod sse;
mod stats;
mod store;
mod string_or;
mod team;
pub mod tokens;
mod translate;
pub mod wire;
