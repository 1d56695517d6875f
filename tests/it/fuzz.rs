//! The spec loader answers every input without panicking: seeded mutations of real spec
//! files (`e2e::fuzzing`), the small in-suite version of `fuzz/` and `bench reliability`.

use e2e::fuzzing;

#[test]
fn the_loader_never_panics_on_mutated_specs() {
    let seeds = fuzzing::seeds();
    assert!(seeds.len() >= 20, "{} seed files", seeds.len());
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut panics = Vec::new();
    for i in 0..20_000 {
        let input = if i % 10 == 0 {
            // Now and then, bytes with no YAML in them at all.
            (0..rng.usize(0..512)).map(|_| rng.u8(..)).collect()
        } else {
            fuzzing::mutate(&mut rng, &seeds)
        };
        if let Err(message) = fuzzing::load_catching_panics(&input) {
            panics.push(format!(
                "input {i}: {message}\n{}",
                String::from_utf8_lossy(&input)
            ));
        }
    }
    assert!(
        panics.is_empty(),
        "{} inputs made the loader panic; the first:\n{}",
        panics.len(),
        panics[0]
    );
}
