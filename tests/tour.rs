//! The deterministic part of `examples/tour.rs` prints exactly what NumPy prints for the seed
//! article's snippets (`tests/fixtures/tour_expected.txt`, from `scripts/tour_numpy.py`).

#[path = "../examples/tour/snippets.rs"]
mod snippets;

#[test]
fn tour_matches_numpy() {
    let got = snippets::deterministic_snippets().expect("snippets run");
    let expected = include_str!("fixtures/tour_expected.txt");
    let (got_lines, want_lines): (Vec<_>, Vec<_>) =
        (got.lines().collect(), expected.lines().collect());
    for (i, (g, w)) in got_lines.iter().zip(&want_lines).enumerate() {
        assert_eq!(
            g,
            w,
            "line {} differs\n--- lazynp:\n{got}\n--- numpy:\n{expected}",
            i + 1
        );
    }
    assert_eq!(
        got_lines.len(),
        want_lines.len(),
        "line counts differ\n{got}"
    );
    assert_eq!(got, expected);
}

#[test]
fn tour_covers_every_article_snippet() {
    let got = snippets::deterministic_snippets().expect("snippets run");
    let headers = got.lines().filter(|l| l.starts_with("## ")).count();
    assert_eq!(headers, 20);
}
