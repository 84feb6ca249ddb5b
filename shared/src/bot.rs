//! Telling crawlers, link previewers and monitors from people, so their visits
//! are kept (flagged) but never counted in stats.

/// Lowercase fragments of user agents that are not a person browsing.
const BOT_MARKERS: &[&str] = &[
    "bot", "crawl", "spider", "slurp", "facebookexternalhit", "embedly", "preview", "monitor",
    "lighthouse", "pingdom", "headlesschrome", "phantomjs", "curl/", "wget/", "python-requests",
    "go-http-client", "okhttp", "java/", "libwww", "httpclient", "scrapy",
];

/// Whether a `User-Agent` belongs to a bot. An empty one does: browsers always send one.
///
/// ```
/// use edgeref_shared::bot::is_bot;
/// assert!(is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
/// assert!(!is_bot("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"));
/// ```
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    ua.is_empty() || BOT_MARKERS.iter().any(|m| ua.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_agents() {
        for bot in [
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
            "curl/8.5.0",
            "python-requests/2.32",
            "",
        ] {
            assert!(is_bot(bot), "{bot}");
        }
        for person in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        ] {
            assert!(!is_bot(person), "{person}");
        }
    }
}
