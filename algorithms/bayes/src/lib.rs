//! tidewater bayes.
