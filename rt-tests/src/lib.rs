//! rt-tests
