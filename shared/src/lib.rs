//! Edgeref's domain rules, free of I/O so the Worker and the browser snippet share them
//! and they can be tested natively.
//!
//! The default `server` feature adds what only the Worker needs (serde, hashing,
//! signatures, URL validation); the snippet builds with `default-features = false`.
//!
//! ```
//! use edgeref_shared::{link, ReferralCode, TrackingSettings};
//! let settings = TrackingSettings::default();
//! let code = ReferralCode::parse("k7m2xq9p").unwrap();
//! let url = link::build("https://shop.example/", &settings, &code);
//! assert_eq!(url, "https://shop.example/?ref=k7m2xq9p");
//! assert_eq!(link::extract(&url, &settings), Some(code));
//! ```
#![forbid(unsafe_code)]
// The snippet's build is `no_std` (with `alloc`): std's panic and formatting
// machinery would cost the browser more than all of our rules together.
#![cfg_attr(not(any(feature = "server", feature = "api", test)), no_std)]

extern crate alloc;

// What the browser snippet needs: codes, links, the cookie.
pub mod code;
pub mod cookie;
pub mod error;
pub mod link;
pub mod tracking;

// The program API's bodies: the Worker and the Rust client `edgeref-client`.
#[cfg(feature = "api")]
pub mod api;

// The rest only runs in the Worker.
#[cfg(feature = "server")]
pub mod attribution;
#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod bot;
#[cfg(feature = "server")]
pub mod disposable;
#[cfg(feature = "server")]
pub mod domain;
#[cfg(feature = "server")]
pub mod email;
#[cfg(feature = "server")]
pub mod fraud;
#[cfg(feature = "server")]
pub mod json_path;
#[cfg(any(feature = "server", feature = "api"))]
pub mod lifecycle;
#[cfg(feature = "server")]
pub mod origin;
#[cfg(feature = "server")]
pub mod privacy;
#[cfg(feature = "server")]
pub mod records;
#[cfg(any(feature = "server", feature = "api"))]
pub mod reward;
#[cfg(any(feature = "server", feature = "api"))]
pub mod time;
#[cfg(feature = "server")]
pub mod validate;
#[cfg(any(feature = "server", feature = "api"))]
pub mod webhook;
#[cfg(feature = "server")]
pub mod apikey;
#[cfg(feature = "server")]
pub mod portal;
#[cfg(feature = "server")]
pub mod seal;
#[cfg(feature = "server")]
pub mod promotion;
#[cfg(feature = "server")]
pub mod session;
#[cfg(feature = "server")]
pub mod team;
#[cfg(feature = "server")]
pub mod signature;
#[cfg(feature = "server")]
pub mod sorted_lines;

pub use code::ReferralCode;
pub use error::ValidationError;
pub use tracking::{Attribution, CookieLifetime, LinkFormat, ParamName, TrackingSettings};
