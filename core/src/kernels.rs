//! Dense and sparse kernels shared by the hot loops (placeholder scalar versions; replaced by
//! the vectorised ones).

/// Dense dot product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `y += a * x`.
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Squared Euclidean distance.
pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Sparse-dense dot product.
pub fn sparse_dot(indices: &[u32], values: &[f64], w: &[f64]) -> f64 {
    indices.iter().zip(values).map(|(&i, v)| v * w[i as usize]).sum()
}

/// `y[idx] += a * values`.
pub fn sparse_axpy(a: f64, indices: &[u32], values: &[f64], y: &mut [f64]) {
    for (&i, v) in indices.iter().zip(values) {
        y[i as usize] += a * v;
    }
}

/// Squared distance between a sparse row and a dense point.
pub fn sparse_squared_distance(indices: &[u32], values: &[f64], c: &[f64]) -> f64 {
    let mut s: f64 = c.iter().map(|v| v * v).sum();
    for (&i, v) in indices.iter().zip(values) {
        let ci = c[i as usize];
        s += (v - ci) * (v - ci) - ci * ci;
    }
    s.max(0.0)
}
