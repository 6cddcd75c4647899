//! The two languages Dealgate speaks and text given in both.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A language the user interface and error messages come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Lang {
    /// Simplified Chinese, the seed article's language and the default.
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag, as used in `<html lang>` and in JSON keys.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks a language from a tag such as `en-US`, `zh`, `zh-Hans-CN`.
    /// Unknown tags give `None`, so a caller can try the next preference.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language in a browser's preference list, else the default.
    pub fn negotiate<'a>(preferences: impl IntoIterator<Item = &'a str>) -> Lang {
        preferences
            .into_iter()
            .find_map(Lang::from_tag)
            .unwrap_or_default()
    }
}

/// A piece of text in zh-CN and en, serialised as `{"zh-CN": "…", "en": "…"}`.
/// The text is shared, not copied: a clone is two reference counts (the gate
/// hands requirement labels to every blocker it reports).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Localized {
    #[serde(rename = "zh-CN")]
    pub zh: Arc<str>,
    pub en: Arc<str>,
}

impl Localized {
    pub fn new(zh: impl Into<Arc<str>>, en: impl Into<Arc<str>>) -> Self {
        Localized {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// Both languages hold some non-blank text.
    pub fn is_complete(&self) -> bool {
        !self.zh.trim().is_empty() && !self.en.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_tags_map_to_supported_languages() {
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("zh-Hans-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr-FR"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn negotiation_takes_the_first_supported_preference() {
        assert_eq!(Lang::negotiate(["fr", "en-US", "zh-CN"]), Lang::En);
        assert_eq!(Lang::negotiate(["de", "ja"]), Lang::ZhCn);
    }

    #[test]
    fn localized_text_uses_bcp47_keys_in_json() {
        let text = Localized::new("商机立项", "Initiation");
        let json = serde_json::to_value(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"zh-CN": "商机立项", "en": "Initiation"})
        );
        assert_eq!(text.get(Lang::En), "Initiation");
    }
}
