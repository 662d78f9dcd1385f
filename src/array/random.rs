//! Random numbers (placeholder until the random module lands).
