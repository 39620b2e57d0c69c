//! The rows of a batch fit in rounds split among processes, each holding its own part (its
//! own file): before the rounds, the parts tell each other their size, total weight and
//! classes ([`Executor::exchange`]), so that every process builds the same job.

use serde::{Deserialize, Serialize};
use tidewater_core::rounds::{Executor, Layout, Parts};
use tidewater_core::{ClassSet, Error, Label, Result};

/// What a part says about itself.
#[derive(Serialize, Deserialize)]
struct Part {
    rows: u64,
    features: u64,
    weight: f64,
    classes: Vec<Label>,
}

/// What a fit needs to know about all the rows, this part's among them.
pub(crate) struct Shared {
    /// Where each block's rows are (every block here when the rows are not split).
    pub layout: Layout,
    /// The total sample weight of every part (this part's own when the rows are not split).
    pub weight: f64,
    /// The classes of every part (of this part's labels when not split; none for a
    /// regression).
    pub classes: Option<ClassSet>,
}

/// Exchanges what this part holds (`n_rows` rows of `n_features` features, of total weight
/// `weight`, labelled `labels` for a classifier) with the other parts through `exec`, and
/// cuts the rows into blocks: `blocks_of(n, k)` blocks for a part of `n` rows when every part
/// together has `k` classes (0 for a regression). When the rows are
/// not split (every executor but processes on their own files), the layout is every block
/// here, exactly as a fit alone cuts them.
pub(crate) fn share(
    exec: &dyn Executor,
    n_rows: usize,
    n_features: usize,
    weight: f64,
    labels: Option<&[Label]>,
    blocks_of: impl Fn(usize, usize) -> usize,
) -> Result<Shared> {
    let classes = labels.map(ClassSet::from_labels);
    let mine = Part {
        rows: n_rows as u64,
        features: n_features as u64,
        weight,
        classes: classes
            .as_ref()
            .map(|c| c.labels().to_vec())
            .unwrap_or_default(),
    };
    let Some(parts) = exec.exchange(&Parts::encode(&mine)?)? else {
        let k = classes.as_ref().map_or(0, ClassSet::len);
        return Ok(Shared {
            layout: Layout::whole(n_rows, blocks_of(n_rows, k)),
            weight,
            classes,
        });
    };
    let all: Vec<Part> = parts.decode()?;
    for (p, part) in all.iter().enumerate() {
        if part.features != mine.features {
            return Err(Error::Training(format!(
                "process {p}'s rows have {} features, this process's {}",
                part.features, mine.features
            )));
        }
    }
    let counts: Vec<usize> = all
        .iter()
        .map(|p| usize::try_from(p.rows))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::Training("a part has more rows than this machine can count".into()))?;
    // In part order, on every process: the same total everywhere.
    let weight = all.iter().fold(0.0, |s, p| s + p.weight);
    let classes = labels.map(|_| ClassSet::from_labels(all.iter().flat_map(|p| &p.classes)));
    let k = classes.as_ref().map_or(0, ClassSet::len);
    Ok(Shared {
        layout: Layout::part(&counts, parts.index, |n| blocks_of(n, k))?,
        weight,
        classes,
    })
}
