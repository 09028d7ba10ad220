//! xoev-gateway: accepts XÖV submissions over HTTP(S), checks them, stores them durably, routes
//! them and delivers them to Fachverfahren. See ARCHITECTURE.md for the data flow.

pub mod config;
pub mod delivery;
pub mod gateway;
pub mod ingress;
pub mod mapping;
pub mod pipeline;
pub mod routing;
pub mod store;
pub mod telemetry;
