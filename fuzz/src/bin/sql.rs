//! AFL++ target: see `cleanse_fuzz::sql` and ../../README.md.
fn main() {
    afl::fuzz!(|data: &[u8]| cleanse_fuzz::sql(data));
}
