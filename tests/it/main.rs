//! End-to-end tests: the real `switchboard` binary against the real emulator.
