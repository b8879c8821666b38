//! HTTP-level tests of the gateway over real sockets on 127.0.0.1, with `FakeProvider`.

mod async_invoke;
mod auth;
mod example_provider;
mod functions;
mod idle;
mod logs;
mod namespaces;
mod proxy;
mod scale_from_zero;
mod secrets;
mod streaming;
mod support;
mod system;
mod ui;
