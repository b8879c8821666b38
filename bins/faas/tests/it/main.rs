//! Integration tests: the built `faas` binary against a real gateway (faas-gateway over
//! `FakeProvider`, basic auth on) started in the test process, with HOME and OPENFAAS_CONFIG in
//! a temporary directory.

mod auth;
mod functions;
mod local;
mod secrets;
mod stores;
mod support;
mod tls;
