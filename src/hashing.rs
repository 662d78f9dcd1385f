//! Hashing for cache keys that user data can influence (plan keys, kernel keys).
//!
//! Keys are hashed with the standard library's keyed SipHash (a random key per process, so a
//! collision cannot be built offline) and a hash only ever picks a bucket: the caches compare
//! whole keys to decide identity. [`force_collisions`] is a test hook that makes every hash
//! equal, so tests can show that equality, not the hash, decides.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static COLLIDE: AtomicBool = AtomicBool::new(false);

/// Test hook: while `on`, every key hash is 0, so every cache lookup scans one bucket and only
/// key equality can tell plans and kernels apart. Also switched on by the environment variable
/// `LAZYNP_FORCE_COLLISIONS=1` at first use.
///
/// ```
/// lazynp::hashing::force_collisions(true);
/// let a = lazynp::array([1.0f32, 2.0]);
/// assert_eq!((&a * 3.0).to_vec::<f32>()?, vec![3.0, 6.0]);
/// assert_eq!((&a + 3.0).to_vec::<f32>()?, vec![4.0, 5.0]);
/// lazynp::hashing::force_collisions(false);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn force_collisions(on: bool) {
    COLLIDE.store(on, Ordering::Relaxed);
}

fn colliding() -> bool {
    static ENV: OnceLock<()> = OnceLock::new();
    ENV.get_or_init(|| {
        if std::env::var("LAZYNP_FORCE_COLLISIONS").is_ok_and(|v| v == "1") {
            COLLIDE.store(true, Ordering::Relaxed);
        }
    });
    COLLIDE.load(Ordering::Relaxed)
}

/// The process's keyed hasher for cache keys (SipHash with a random key), honouring
/// [`force_collisions`].
#[derive(Clone)]
pub struct KeyHasher(RandomState);

impl Default for KeyHasher {
    fn default() -> Self {
        static STATE: OnceLock<RandomState> = OnceLock::new();
        KeyHasher(STATE.get_or_init(RandomState::new).clone())
    }
}

/// A hasher from [`KeyHasher`].
pub struct KeyHasherState(std::hash::DefaultHasher);

impl Hasher for KeyHasherState {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
    fn finish(&self) -> u64 {
        if colliding() { 0 } else { self.0.finish() }
    }
}

impl BuildHasher for KeyHasher {
    type Hasher = KeyHasherState;
    fn build_hasher(&self) -> KeyHasherState {
        KeyHasherState(self.0.build_hasher())
    }
}

/// The hash of a key of words (one `write` of its bytes).
pub fn hash_words(words: &[u64]) -> u64 {
    // SAFETY: any initialised u64 is 8 initialised bytes; the slice covers exactly `words`.
    let bytes =
        unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), size_of_val(words)) };
    let mut h = KeyHasher::default().build_hasher();
    h.write(bytes);
    h.finish()
}
