//! Shipped data sets.
