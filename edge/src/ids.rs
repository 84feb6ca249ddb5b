//! Randomness and time, the Worker's only sources of either.

/// Bytes from the runtime's CSPRNG (`crypto.getRandomValues`).
pub fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).expect("crypto.getRandomValues is always available in Workers");
    buf
}

/// A prefixed random id such as `prg_3kq9…`: 80 bits in lowercase base32.
pub fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let bytes = random::<16>();
    let mut id = String::with_capacity(prefix.len() + 17);
    id.push_str(prefix);
    id.push('_');
    id.extend(bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char));
    id
}

/// Milliseconds since the Unix epoch. (Workers freeze the clock during a
/// request; that is fine for ordering by request.)
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
