//! Questions asked of the store: search, conversations, calls and custom data. Every list query binds its
//! parameters, pages by keyset and runs under a deadline.

pub mod parse;
