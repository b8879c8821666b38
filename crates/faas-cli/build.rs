//! Rebuilds the crate when the shipped templates change (they are embedded with include_dir).

fn main() {
    println!("cargo:rerun-if-changed=../../templates");
}
