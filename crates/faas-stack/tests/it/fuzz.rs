//! A stable-Rust stand-in for the cargo-fuzz target: thousands of random and mutated inputs
//! through substitution, parsing and validation must never panic.

use faas_stack::{parse_stack, validate_for_deploy, LoadOptions};

use crate::fixture;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "${",
    "}",
    "$$",
    "${A:-",
    "${#",
    ":-",
    ":?",
    "^^",
    "\n",
    "  ",
    "- ",
    ": ",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "<<: ",
    "{",
    "[",
    "]",
    "\"",
    "'",
    "|\n",
    "#",
    "\t",
    "!!binary ",
    "null",
    "1.0",
    "functions:\n",
    "provider:\n  name: openfaas\n",
    "environment:\n",
    "é",
    "\u{0}",
    "\r\n",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 => bytes.insert(at, rng.next() as u8),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            _ => {
                let end = (at + rng.below(16)).min(bytes.len());
                let chunk: Vec<u8> = bytes[at..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, chunk);
            }
        }
    }
    bytes
}

fn run(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let lookup = |name: &str| (name.len() % 2 == 0).then(|| "v${B}".to_owned());
    if let Ok(loaded) = parse_stack("fuzz.yml", &text, LoadOptions::new(&lookup)) {
        for function in &loaded.stack.functions {
            let _ = validate_for_deploy(function);
        }
    }
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let seeds: Vec<String> = [
        "hello-python.yml",
        "printr.yml",
        "seed-stack.yml",
        "full.yml",
        "multi-doc.yml",
        "duplicate-key.yml",
    ]
    .iter()
    .map(|name| fixture(name))
    .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let input = if round % 5 == 0 {
            (0..rng.below(200))
                .map(|_| TOKENS[rng.below(TOKENS.len())])
                .collect::<String>()
                .into_bytes()
        } else {
            let seed = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, seed.as_bytes())
        };
        run(&input);
    }
}

#[test]
fn hostile_shapes_do_not_panic() {
    let deep_flow = format!("functions: {}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_subst = format!("a: {}{}", "${X:-".repeat(5000), "}".repeat(5000));
    let alias_bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nfunctions: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    for text in [
        deep_flow.as_str(),
        deep_subst.as_str(),
        alias_bomb,
        "",
        "\u{feff}",
        "---",
        "${",
        "$",
    ] {
        run(text.as_bytes());
    }
}
