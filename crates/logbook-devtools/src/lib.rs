//! Traffic for tests, demos and benchmarks, apart from the product's core: realistic synthetic
//! events ([`generate`]) and filling a PostgreSQL store with them fast ([`fill`]), posting bodies to a receiver the way Watson does ([`send`]), and the
//! benchmarks behind `logbook bench` ([`bench`]).

pub mod bench;
pub mod fill;
pub mod generate;
pub mod send;
