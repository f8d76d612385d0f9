#![recursion_limit = "256"]
//! The browser entry point: hydrates the page the server rendered.
//! Nothing else lives here; the pages and rules are in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The screens are split into pieces of WASM fetched on demand (lazy
    // routes), so hydration is asynchronous: the current screen's piece
    // arrives (the page names it up front, so it is already on its way)
    // before its HTML is taken over. The same as `hydrate_lazy`, plus
    // saying when it's done.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App).await.forget();
        mark_hydrated();
    });
}

/// Lets browser tests (and curious people) know the page is interactive.
fn mark_hydrated() {
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"__leashline_hydrated".into(), &true.into());
        // When, for the phone benchmark (end2end/phone-bench.mjs).
        let _ = js_sys::Reflect::set(&w, &"__leashline_hydrated_at".into(), &js_sys::Date::now().into());
    }
}
