//! The parameter tables of `docs/cli.md` come from the code: the block between the markers is
//! what `tidewater list --json` says, rendered here. When a parameter, a default or a
//! component changes, this test fails; `TIDEWATER_BLESS=1 cargo test -p tidewater-cli --test
//! docs` rewrites the block (then read the diff: it is the user-visible change).

mod common;
use common::cli::tw;
use serde_json::Value;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md");
const BEGIN: &str = "<!-- BEGIN generated: tidewater list --json (cli/tests/docs.rs) -->";
const END: &str = "<!-- END generated -->";

/// A default as spec text (what `list` prints and a spec takes).
fn spec_text(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::Bool(b) => b.to_string(),
        // As `list` prints it (exponent form for very large and small magnitudes).
        Value::Number(n) => tidewater::core::error::show_number(n.as_f64().expect("a number")),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(spec_text).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(_) => panic!("a default is never an object: {v}"),
    }
}

/// `` `name` (default)`` for each parameter; the batch-only ones after `fit only:`.
fn params(entry: &Value) -> String {
    let ps = entry["params"].as_array().expect("params");
    if ps.is_empty() {
        return "—".into();
    }
    let show = |p: &Value| {
        format!(
            "`{}` ({})",
            p["name"].as_str().unwrap(),
            spec_text(&p["default"])
        )
    };
    let both: Vec<String> = ps
        .iter()
        .filter(|p| p["batch_only"] != true)
        .map(show)
        .collect();
    let fit: Vec<String> = ps
        .iter()
        .filter(|p| p["batch_only"] == true)
        .map(show)
        .collect();
    match (both.is_empty(), fit.is_empty()) {
        (_, true) => both.join(", "),
        (true, false) => format!("fit only: {}", fit.join(", ")),
        (false, false) => format!("{}; fit only: {}", both.join(", "), fit.join(", ")),
    }
}

fn table(out: &mut String, title: &str, head: &str, rows: Vec<String>) {
    out.push_str(&format!("\n#### {title}\n{head}\n"));
    let cols = head.matches('|').count() - 1;
    out.push_str(&format!("|{}\n", "---|".repeat(cols)));
    for r in rows {
        out.push_str(&r);
        out.push('\n');
    }
}

/// The block the code says.
fn generated() -> String {
    let list = tw(&["list", "--json"]).json();
    let mut out = String::new();
    let entry_row = |e: &Value| {
        format!(
            "| `{}` | {} | {} | {} |",
            e["name"].as_str().unwrap(),
            e["role"].as_str().unwrap(),
            e["paths"].as_str().unwrap(),
            params(e)
        )
    };
    table(
        &mut out,
        "Models",
        "| name | role | paths | parameters (default) |",
        list["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(entry_row)
            .collect(),
    );
    table(
        &mut out,
        "Transformers and record steps",
        "| name | role | paths | parameters (default) |",
        list["transformers"]
            .as_array()
            .unwrap()
            .iter()
            .map(entry_row)
            .collect(),
    );
    table(
        &mut out,
        "Drift detectors",
        "| name | input | warning zone | parameters (default) |",
        list["detectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "| `{}` | {} | {} | {} |",
                    d["name"].as_str().unwrap(),
                    d["input"].as_str().unwrap(),
                    if d["warnings"] == true { "yes" } else { "no" },
                    params(d)
                )
            })
            .collect(),
    );
    table(
        &mut out,
        "Stream generators",
        "| name | task | parameters (default) |",
        list["generators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                format!(
                    "| `{}` | {} | {} |",
                    g["name"].as_str().unwrap(),
                    g["task"].as_str().unwrap(),
                    params(g)
                )
            })
            .collect(),
    );
    out
}

#[test]
fn the_parameter_tables_of_docs_cli_md_are_what_the_code_says() {
    let doc = std::fs::read_to_string(DOC).expect("docs/cli.md");
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/cli.md lacks the markers {BEGIN} ... {END}");
    };
    let have = &doc[b + BEGIN.len()..e];
    let want = generated() + "\n";
    if have != want {
        if std::env::var_os("TIDEWATER_BLESS").is_some() {
            let new = format!("{}{BEGIN}{want}{}", &doc[..b], &doc[e..]);
            std::fs::write(DOC, new).expect("rewrite docs/cli.md");
            return;
        }
        panic!(
            "docs/cli.md's parameter tables differ from `tidewater list --json`; run \
             TIDEWATER_BLESS=1 cargo test -p tidewater-cli --test docs and read the diff.\n\
             --- the code says ---\n{want}"
        );
    }
}

/// The hand-written notes on each component's batch path name exactly the components.
#[test]
fn the_batch_path_notes_cover_every_component() {
    let doc = std::fs::read_to_string(DOC).expect("docs/cli.md");
    let start = doc
        .find("### Batch paths")
        .expect("a `### Batch paths` section");
    let section = &doc[start..];
    let section = &section[..section[4..].find("\n#").map_or(section.len(), |i| i + 4)];
    let noted: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let list = tw(&["list", "--json"]).json();
    let mut names: Vec<&str> = ["models", "transformers"]
        .iter()
        .flat_map(|k| list[*k].as_array().unwrap())
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut noted_sorted = noted.clone();
    noted_sorted.sort_unstable();
    names.sort_unstable();
    assert_eq!(
        noted_sorted, names,
        "the notes of `### Batch paths` and the catalogue differ"
    );
}
