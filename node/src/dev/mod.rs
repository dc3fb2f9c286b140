//! Developer tools: the generated national dataset (`etal dev gen-dataset`) for tests and
//! benchmarks at the scale of fairemescourses.fr (14,019 shops, 273,560 products).

pub mod dataset;
pub mod places;
mod trades;
