//! Live updates in the browser: one EventSource per page (Server-Sent
//! Events from /events). Every event bumps `version`; lists and threads
//! keyed on it refetch through the normal server functions, so what a
//! person sees is always filtered by the same permission checks. The
//! browser reconnects by itself; the server answers a reconnect with a
//! "resync", which also bumps the version, so nothing is missed.

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Live {
    pub version: RwSignal<u64>,
    pub connected: RwSignal<bool>,
}

pub fn provide_live() -> Live {
    let live = Live { version: RwSignal::new(0), connected: RwSignal::new(false) };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<bool>| {
        if started != Some(true) {
            connect(live);
        }
        true
    });
    live
}

pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(|| Live { version: RwSignal::new(0), connected: RwSignal::new(false) })
}

#[cfg(feature = "hydrate")]
fn connect(live: Live) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Ok(es) = web_sys::EventSource::new("/events") else { return };
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_e: web_sys::MessageEvent| {
        live.version.update(|v| *v += 1);
    });
    es.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        live.connected.set(true);
        if let Some(w) = web_sys::window() {
            let _ = js_sys::Reflect::set(&w, &"__leashline_live".into(), &true.into());
        }
    });
    es.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        live.connected.set(false);
    });
    es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    // The connection lives as long as the page.
    std::mem::forget(es);
}
