#![recursion_limit = "256"]
//! The browser entry point: hydrates the page the server rendered.
//! Nothing else lives here; the pages and rules are in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets browser tests (and curious people) know the page is interactive.
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"__leashline_hydrated".into(), &true.into());
    }
}
