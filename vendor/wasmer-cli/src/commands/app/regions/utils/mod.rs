pub(crate) mod render;
