//! The QR code of a referral link, as SVG markup (the `qrcode` crate), for the
//! widget to show as an image. One dark path on a white square with the quiet
//! zone, one unit per module (the viewBox scales it), medium error correction.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Codes this isolate made, by link: choosing the mask takes milliseconds of CPU, and a
/// referrer opens the widget again and again with the same link. Emptied when full.
const CACHED: usize = 2_000;

thread_local! {
    static MADE: RefCell<HashMap<String, Option<Rc<str>>>> = RefCell::new(HashMap::new());
}

/// The SVG of `link`'s QR code (made once per isolate), or `None` for data too long for any QR version.
pub fn cached(link: &str) -> Option<Rc<str>> {
    if let Some(hit) = MADE.with(|m| m.borrow().get(link).cloned()) {
        return hit;
    }
    let made: Option<Rc<str>> = svg(link).map(Into::into);
    MADE.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= CACHED {
            m.clear();
        }
        m.insert(link.to_owned(), made.clone());
    });
    made
}

/// The SVG of `link`'s QR code, or `None` for data too long for any QR version.
pub fn svg(link: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).ok()?;
    Some(code.render::<svg::Color>().module_dimensions(1, 1).quiet_zone(true).dark_color(svg::Color("#000")).light_color(svg::Color("#fff")).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_one_svg_image_with_its_quiet_zone() {
        let s = svg("https://shop.example/?via=k3m9x2ab").unwrap();
        assert!(s.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{s}");
        assert!(s.ends_with("</svg>"));
        // Version 3 (29 modules) for a 35-byte link at level M, plus 4 modules of quiet zone each side.
        assert!(s.contains("viewBox=\"0 0 37 37\""), "{s}");
        assert_eq!(s.matches("<path").count(), 1);
        assert!(!s.contains("<script") && !s.contains("href"), "nothing but shapes");
    }

    #[test]
    fn a_longer_link_needs_a_larger_code_and_a_huge_one_none() {
        let short = svg("https://a.example/?r=x").unwrap();
        let long = svg(&format!("https://a.example/{}", "p".repeat(300))).unwrap();
        assert!(long.len() > short.len());
        assert_eq!(svg(&"x".repeat(5000)), None);
    }

    #[test]
    fn the_cache_answers_what_svg_makes_for_each_link() {
        for link in ["https://a.example/?r=1", "https://a.example/?r=2", "https://a.example/?r=1"] {
            assert_eq!(cached(link).as_deref(), svg(link).as_deref());
        }
        assert_eq!(cached(&"x".repeat(5000)), None);
    }
}
