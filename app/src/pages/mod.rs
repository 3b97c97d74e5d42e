//! One module per route.

mod asset;
mod browse;
mod not_found;

pub use asset::AssetPage;
pub use browse::BrowsePage;
pub use not_found::NotFound;
