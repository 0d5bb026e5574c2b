//! Rebuilds the crate when the UI's build output changes: `logbook serve` embeds `ui/dist` (rust-embed)
//! in release builds, and a binary built before `npm run build` would otherwise keep serving the old UI.

fn main() {
    println!("cargo:rerun-if-changed=../../ui/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
