//! tidewater preprocessing.
