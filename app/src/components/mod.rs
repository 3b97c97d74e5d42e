//! Pieces the pages share: status badges, file icons, times, toasts, the confirmation dialog
//! and the asset actions behind them (delete with undo, restore, mark uploaded).
//!
//! - `badges`: [`StatusBadge`], [`FileIcon`], [`Time`] and the page's [`Clock`];
//! - `toasts`: the [`Toaster`] and its [`ToastRegion`];
//! - `actions`: [`AssetActions`], [`ConfirmDelete`] and what they call.

mod actions;
mod badges;
mod toasts;

pub use actions::{ask_delete, delete_with_undo, restore, AssetActions, ConfirmDelete};
pub use badges::{Clock, FileIcon, StatusBadge, Time};
pub use toasts::{Toast, ToastRegion, Toaster};
