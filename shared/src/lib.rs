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

pub mod attribution;
pub mod bot;
pub mod code;
pub mod cookie;
pub mod error;
pub mod link;
pub mod origin;
pub mod reward;
pub mod time;
pub mod tracking;
pub mod validate;
pub mod webhook;

#[cfg(feature = "server")]
pub mod apikey;
#[cfg(feature = "server")]
pub mod seal;
#[cfg(feature = "server")]
pub mod session;
#[cfg(feature = "server")]
pub mod signature;

pub use code::ReferralCode;
pub use error::ValidationError;
pub use tracking::{Attribution, CookieLifetime, LinkFormat, ParamName, TrackingSettings};
