//! Building blocks every page uses: headers, empty and loading states,
//! badges, the error panel, toasts and the confirmation dialog with its
//! impact list (SPEC §4, last paragraph).

mod confirm;
mod feedback;
mod layout;
mod toast;

pub use confirm::ConfirmDialog;
pub use feedback::{Badge, ErrorPanel, ErrorText, Loading, Tone};
pub use layout::{Card, EmptyState, PageHeader, StatCard};
pub use toast::{provide_toaster, use_toaster, ToastHost, Toaster};

/// Tailwind classes for buttons, kept in one place so every screen matches.
pub mod btn {
    pub const PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-emerald-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-emerald-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-500 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50";
    pub const SECONDARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-500 disabled:cursor-not-allowed disabled:opacity-50";
    pub const DANGER: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-red-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50";
    pub const GHOST: &str = "inline-flex items-center justify-center gap-2 rounded-lg px-3 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 disabled:opacity-50";
    pub const SMALL: &str = "inline-flex items-center justify-center gap-1 rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-semibold text-slate-700 hover:bg-slate-50 disabled:opacity-50";
}

/// Form field classes.
pub mod field {
    pub const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-emerald-500 focus:outline-none focus:ring-1 focus:ring-emerald-500 aria-[invalid=true]:border-red-500";
    pub const LABEL: &str = "block text-sm font-medium text-slate-700 mb-1";
    pub const HELP: &str = "mt-1 text-xs text-slate-500";
}
