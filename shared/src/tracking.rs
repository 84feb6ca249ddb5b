//! A program's tracking settings: how links look and how long a referral sticks.

use crate::code::is_code_byte;
use crate::ValidationError;
use alloc::{borrow::ToOwned, string::String};

/// Where the code sits in a referral link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "server", serde(rename_all = "snake_case"))]
pub enum LinkFormat {
    /// `https://site/?ref=CODE`
    #[default]
    Query,
    /// `https://site/ref/CODE`
    Path,
}

/// Which click wins when a visitor follows more than one referral link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "server", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "server", serde(rename_all = "snake_case"))]
pub enum Attribution {
    #[default]
    LastClick,
    FirstClick,
}

/// How long the referral cookie lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieLifetime {
    /// 1..=3650 days from the click.
    Days(u16),
    /// As long as browsers allow (400 days), renewed on every visit.
    Lifetime,
}

pub const MAX_COOKIE_DAYS: u16 = 3650;

impl CookieLifetime {
    /// `None` is lifetime, as in the API's `"cookie_days": null`.
    pub fn from_days(days: Option<i64>) -> Result<Self, ValidationError> {
        match days {
            None => Ok(Self::Lifetime),
            Some(d) if (1..=MAX_COOKIE_DAYS as i64).contains(&d) => Ok(Self::Days(d as u16)),
            Some(_) => Err(ValidationError::new("cookie_days", "must be 1 to 3650 days, or null for lifetime")),
        }
    }

    pub fn days(self) -> Option<u16> {
        match self {
            Self::Days(d) => Some(d),
            Self::Lifetime => None,
        }
    }
}

/// The query parameter or path segment that carries the code: 1–32 of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamName(String);

impl ParamName {
    #[inline] // the snippet keeps no error text it never shows
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.is_empty() || input.len() > 32 || !input.bytes().all(is_code_byte) {
            return Err(ValidationError::new("param", "must be 1 to 32 of A-Z, a-z, 0-9, '-' and '_'"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ParamName {
    fn default() -> Self {
        Self("ref".to_owned())
    }
}

/// Everything the snippet needs to find, keep and report a referral, and (in
/// the Worker) where the program is first-party on its owner's site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingSettings {
    pub link_format: LinkFormat,
    pub param: ParamName,
    pub cookie: CookieLifetime,
    pub attribution: Attribution,
    /// The owner's override of the cookie domain, canonical (`shop.example`);
    /// `effective_cookie_domain` says what is used.
    #[cfg(feature = "server")]
    pub cookie_domain: Option<String>,
    /// The owner's first-party base URL for tracking paths, without a trailing
    /// slash (`https://shop.example/_edgeref`).
    #[cfg(feature = "server")]
    pub endpoint: Option<String>,
    /// Whether cookies and beacons wait for the visitor's consent (docs/privacy.md).
    #[cfg(feature = "server")]
    pub consent: crate::privacy::Consent,
    /// Days raw visits are kept before the scheduled run rolls them into daily counts.
    #[cfg(feature = "server")]
    pub visit_retention_days: u16,
}

impl TrackingSettings {
    /// Settings without first-party overrides: what the snippet starts with
    /// (the Worker's fields exist only with `server`, so the snippet cannot name them).
    #[inline]
    pub fn new(link_format: LinkFormat, param: ParamName, cookie: CookieLifetime, attribution: Attribution) -> Self {
        Self {
            link_format,
            param,
            cookie,
            attribution,
            #[cfg(feature = "server")]
            cookie_domain: None,
            #[cfg(feature = "server")]
            endpoint: None,
            #[cfg(feature = "server")]
            consent: crate::privacy::Consent::NotRequired,
            #[cfg(feature = "server")]
            visit_retention_days: crate::privacy::DEFAULT_VISIT_RETENTION_DAYS,
        }
    }
}

impl Default for TrackingSettings {
    /// `?ref=CODE`, 30-day cookie, last click wins: what Partnero and Rewardful start with.
    fn default() -> Self {
        Self::new(LinkFormat::Query, ParamName::default(), CookieLifetime::Days(30), Attribution::LastClick)
    }
}

#[cfg(feature = "server")]
mod json {
    //! The API's shape: `{"link_format", "param", "cookie_days", "attribution",
    //! "cookie_domain", "endpoint"}`, validated on the way in so an invalid
    //! setting never reaches storage.
    use super::*;
    use crate::privacy::{visit_retention_days, Consent, DEFAULT_VISIT_RETENTION_DAYS};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wire {
        link_format: LinkFormat,
        param: String,
        cookie_days: Option<i64>,
        attribution: Attribution,
        // Absent in settings stored before they existed. Read back as stored:
        // a later list update must not make a stored program unreadable.
        #[serde(default)]
        cookie_domain: Option<String>,
        #[serde(default)]
        endpoint: Option<String>,
        #[serde(default)]
        consent: Consent,
        #[serde(default = "default_retention")]
        visit_retention_days: i64,
    }

    fn default_retention() -> i64 {
        DEFAULT_VISIT_RETENTION_DAYS as i64
    }

    impl Serialize for TrackingSettings {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            Wire {
                link_format: self.link_format,
                param: self.param.0.clone(),
                cookie_days: self.cookie.days().map(i64::from),
                attribution: self.attribution,
                cookie_domain: self.cookie_domain.clone(),
                endpoint: self.endpoint.clone(),
                consent: self.consent,
                visit_retention_days: self.visit_retention_days as i64,
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for TrackingSettings {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let w = Wire::deserialize(d)?;
            Ok(Self {
                link_format: w.link_format,
                param: ParamName::parse(&w.param).map_err(serde::de::Error::custom)?,
                cookie: CookieLifetime::from_days(w.cookie_days).map_err(serde::de::Error::custom)?,
                attribution: w.attribution,
                cookie_domain: w.cookie_domain,
                endpoint: w.endpoint,
                consent: w.consent,
                visit_retention_days: visit_retention_days(w.visit_retention_days).map_err(serde::de::Error::custom)?,
            })
        }
    }

    /// A partial update, as sent to `PATCH /v1/programs/{id}`: absent fields keep their value.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct TrackingPatch {
        pub link_format: Option<LinkFormat>,
        pub param: Option<String>,
        /// `Some(None)` is an explicit `null`: lifetime.
        #[serde(default, deserialize_with = "explicit_null")]
        pub cookie_days: Option<Option<i64>>,
        pub attribution: Option<Attribution>,
        /// `Some(None)` is an explicit `null`: no override.
        #[serde(default, deserialize_with = "explicit_null")]
        pub cookie_domain: Option<Option<String>>,
        /// `Some(None)` is an explicit `null`: no first-party endpoint.
        #[serde(default, deserialize_with = "explicit_null")]
        pub endpoint: Option<Option<String>>,
        /// `Some(None)` is an explicit `null`: refused, as any value but the three.
        #[serde(default, deserialize_with = "explicit_null")]
        pub consent: Option<Option<Consent>>,
        pub visit_retention_days: Option<i64>,
    }

    fn explicit_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }

    impl TrackingSettings {
        /// Applies a patch, validating each present field; on error nothing changes.
        /// The cookie domain's relation to the website is `validate_for_site`'s.
        pub fn patched(&self, patch: &TrackingPatch) -> Result<Self, ValidationError> {
            let mut next = self.clone();
            if let Some(f) = patch.link_format {
                next.link_format = f;
            }
            if let Some(p) = &patch.param {
                next.param = ParamName::parse(p)?;
            }
            if let Some(days) = patch.cookie_days {
                next.cookie = CookieLifetime::from_days(days)?;
            }
            if let Some(a) = patch.attribution {
                next.attribution = a;
            }
            if let Some(domain) = &patch.cookie_domain {
                next.cookie_domain = domain.as_deref().map(first_party::parse_cookie_domain).transpose()?;
            }
            if let Some(endpoint) = &patch.endpoint {
                next.endpoint = endpoint.as_deref().map(first_party::parse_endpoint).transpose()?;
            }
            if let Some(consent) = patch.consent {
                next.consent = consent.ok_or(ValidationError::new("consent", "must be not_required, required or google_consent_mode"))?;
            }
            if let Some(days) = patch.visit_retention_days {
                next.visit_retention_days = visit_retention_days(days)?;
            }
            Ok(next)
        }
    }
}

#[cfg(feature = "server")]
pub use json::TrackingPatch;

#[cfg(feature = "server")]
mod first_party;
#[cfg(feature = "server")]
pub use first_party::{parse_cookie_domain, parse_endpoint};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cookie_days_bounds() {
        assert_eq!(CookieLifetime::from_days(None), Ok(CookieLifetime::Lifetime));
        assert_eq!(CookieLifetime::from_days(Some(1)), Ok(CookieLifetime::Days(1)));
        assert_eq!(CookieLifetime::from_days(Some(3650)), Ok(CookieLifetime::Days(3650)));
        for bad in [0, -1, 3651, i64::MAX, i64::MIN] {
            assert_eq!(CookieLifetime::from_days(Some(bad)).unwrap_err().field, "cookie_days");
        }
    }

    #[test]
    fn param_names() {
        for ok in ["ref", "a", "via", "REF_code-1", &"x".repeat(32)] {
            assert!(ParamName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a=b", "ä", "a/b", &"x".repeat(33)] {
            assert_eq!(ParamName::parse(bad).unwrap_err().field, "param", "{bad}");
        }
    }

    #[test]
    #[cfg(feature = "server")]
    fn json_round_trip_and_validation() {
        let s: TrackingSettings = serde_json::from_str(
            r#"{"link_format":"path","param":"a","cookie_days":null,"attribution":"first_click"}"#,
        )
        .unwrap();
        assert_eq!(s.link_format, LinkFormat::Path);
        assert_eq!(s.cookie, CookieLifetime::Lifetime);
        assert_eq!(s.attribution, Attribution::FirstClick);
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["cookie_days"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<TrackingSettings>(back).unwrap(), s);
        let defaults = serde_json::to_value(TrackingSettings::default()).unwrap();
        assert_eq!(defaults, serde_json::json!({"link_format":"query","param":"ref","cookie_days":30,"attribution":"last_click","cookie_domain":null,"endpoint":null,"consent":"not_required","visit_retention_days":400}));
        assert!(serde_json::from_str::<TrackingSettings>(
            r#"{"link_format":"query","param":"a b","cookie_days":3,"attribution":"last_click"}"#
        )
        .is_err());
    }

    #[test]
    #[cfg(feature = "server")]
    fn patch_applies_present_fields_only() {
        let base = TrackingSettings::default();
        let p: TrackingPatch = serde_json::from_str(r#"{"cookie_days":null}"#).unwrap();
        let next = base.patched(&p).unwrap();
        assert_eq!(next.cookie, CookieLifetime::Lifetime);
        assert_eq!(next.param, base.param);
        let p: TrackingPatch = serde_json::from_str(r#"{"param":"a","link_format":"path"}"#).unwrap();
        let next = base.patched(&p).unwrap();
        assert_eq!((next.param.as_str(), next.link_format, next.cookie), ("a", LinkFormat::Path, CookieLifetime::Days(30)));
        let p: TrackingPatch = serde_json::from_str(r#"{"cookie_days":0}"#).unwrap();
        assert_eq!(base.patched(&p).unwrap_err().field, "cookie_days");
        let p: TrackingPatch = serde_json::from_str(r#"{"consent":"required","visit_retention_days":30}"#).unwrap();
        let next = base.patched(&p).unwrap();
        assert_eq!((next.consent, next.visit_retention_days, next.param), (crate::privacy::Consent::Required, 30, base.param.clone()));
        let p: TrackingPatch = serde_json::from_str(r#"{"visit_retention_days":29}"#).unwrap();
        assert_eq!(base.patched(&p).unwrap_err().field, "visit_retention_days");
        assert!(serde_json::from_str::<TrackingPatch>(r#"{"consent":"maybe"}"#).is_err());
        let p: TrackingPatch = serde_json::from_str(r#"{"consent":null}"#).unwrap();
        assert_eq!(base.patched(&p).unwrap_err().field, "consent");
        assert!(serde_json::from_str::<TrackingPatch>(r#"{"nope":1}"#).is_err());
    }

    proptest! {
        #[test]
        fn param_name_accepts_exactly_its_charset(s in "\\PC{0,40}") {
            let ok = (1..=32).contains(&s.len()) && s.bytes().all(is_code_byte);
            prop_assert_eq!(ParamName::parse(&s).is_ok(), ok);
        }
    }
}
