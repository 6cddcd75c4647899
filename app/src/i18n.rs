//! Every piece of text the app shows, in zh-CN and en, in one table; and the
//! current language, which follows the browser and persists once chosen.

use leptos::prelude::*;
pub use shared::Lang;

/// The keys of the table. `Msg::ALL` lists them for the completeness test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    AppName,
    Tagline,
    NavHome,
    NavAbout,
    Language,
    Loading,
    ErrorTitle,
    ErrorNetwork,
    ErrorUnexpected,
    Retry,
    NotFoundTitle,
    NotFoundBody,
    BackHome,
    ServerStatus,
    ServerOk,
    ServerVersion,
    AppVersion,
    HomeWelcome,
    HomeIntro,
    AboutTitle,
    AboutBody,
    SkipToContent,
    NavUsers,
    SignInTitle,
    Email,
    Password,
    SignIn,
    SigningIn,
    SignOut,
    AdminOnly,
    UsersTitle,
    NewUser,
    Name,
    Create,
    Roles,
    RoleRep,
    RoleManager,
    RoleChannel,
    RoleAdmin,
    SaveRoles,
    Active,
    Deactivated,
    Deactivate,
    Activate,
    ConfirmDeactivate,
    ConfirmActivate,
    Status,
    SignedInAs,
}

impl Msg {
    pub const ALL: &'static [Msg] = &[
        Msg::AppName,
        Msg::Tagline,
        Msg::NavHome,
        Msg::NavAbout,
        Msg::Language,
        Msg::Loading,
        Msg::ErrorTitle,
        Msg::ErrorNetwork,
        Msg::ErrorUnexpected,
        Msg::Retry,
        Msg::NotFoundTitle,
        Msg::NotFoundBody,
        Msg::BackHome,
        Msg::ServerStatus,
        Msg::ServerOk,
        Msg::ServerVersion,
        Msg::AppVersion,
        Msg::HomeWelcome,
        Msg::HomeIntro,
        Msg::AboutTitle,
        Msg::AboutBody,
        Msg::SkipToContent,
        Msg::NavUsers,
        Msg::SignInTitle,
        Msg::Email,
        Msg::Password,
        Msg::SignIn,
        Msg::SigningIn,
        Msg::SignOut,
        Msg::AdminOnly,
        Msg::UsersTitle,
        Msg::NewUser,
        Msg::Name,
        Msg::Create,
        Msg::Roles,
        Msg::RoleRep,
        Msg::RoleManager,
        Msg::RoleChannel,
        Msg::RoleAdmin,
        Msg::SaveRoles,
        Msg::Active,
        Msg::Deactivated,
        Msg::Deactivate,
        Msg::Activate,
        Msg::ConfirmDeactivate,
        Msg::ConfirmActivate,
        Msg::Status,
        Msg::SignedInAs,
    ];

    /// `(zh-CN, en)`.
    const fn pair(self) -> (&'static str, &'static str) {
        match self {
            Msg::AppName => ("Dealgate", "Dealgate"),
            Msg::Tagline => (
                "复杂销售，按阶段把关",
                "Complex sales, gated stage by stage",
            ),
            Msg::NavHome => ("首页", "Home"),
            Msg::NavAbout => ("关于", "About"),
            Msg::Language => ("语言", "Language"),
            Msg::Loading => ("加载中…", "Loading…"),
            Msg::ErrorTitle => ("出错了", "Something went wrong"),
            Msg::ErrorNetwork => (
                "无法连接服务器，请检查网络后重试。",
                "Cannot reach the server. Check your connection and try again.",
            ),
            Msg::ErrorUnexpected => (
                "服务器返回了意外的结果",
                "The server gave an unexpected answer",
            ),
            Msg::Retry => ("重试", "Try again"),
            Msg::NotFoundTitle => ("页面不存在", "Page not found"),
            Msg::NotFoundBody => (
                "您要找的页面不存在或已被移动。",
                "The page you are looking for does not exist or has moved.",
            ),
            Msg::BackHome => ("返回首页", "Back to home"),
            Msg::ServerStatus => ("服务状态", "Server status"),
            Msg::ServerOk => ("运行正常", "Running"),
            Msg::ServerVersion => ("服务端版本", "Server version"),
            Msg::AppVersion => ("应用版本", "App version"),
            Msg::HomeWelcome => ("欢迎使用 Dealgate", "Welcome to Dealgate"),
            Msg::HomeIntro => (
                "从销售线索到商机、再到签约：每个阶段都有明确的关卡，每个商机按 A–E 分级，走相应的流程。",
                "From lead to opportunity to signed contract: every stage has an explicit gate, and every deal is graded A–E and follows its track.",
            ),
            Msg::AboutTitle => ("关于 Dealgate", "About Dealgate"),
            Msg::AboutBody => (
                "Dealgate 按 TAS+ 方法管理复杂 B2B 销售过程。",
                "Dealgate runs complex B2B sales the TAS+ way.",
            ),
            Msg::SkipToContent => ("跳到正文", "Skip to content"),
            Msg::NavUsers => ("用户管理", "Users"),
            Msg::SignInTitle => ("登录 Dealgate", "Sign in to Dealgate"),
            Msg::Email => ("电子邮箱", "E-mail"),
            Msg::Password => ("密码", "Password"),
            Msg::SignIn => ("登录", "Sign in"),
            Msg::SigningIn => ("正在登录…", "Signing in…"),
            Msg::SignOut => ("退出登录", "Sign out"),
            Msg::AdminOnly => (
                "只有管理员可以访问此页面。",
                "Only admins can open this page.",
            ),
            Msg::UsersTitle => ("用户管理", "Users"),
            Msg::NewUser => ("新建用户", "New user"),
            Msg::Name => ("姓名", "Name"),
            Msg::Create => ("创建", "Create"),
            Msg::Roles => ("角色", "Roles"),
            Msg::RoleRep => ("销售", "Sales rep"),
            Msg::RoleManager => ("销售总监", "Sales director"),
            Msg::RoleChannel => ("渠道经理", "Channel manager"),
            Msg::RoleAdmin => ("管理员", "Admin"),
            Msg::SaveRoles => ("保存角色", "Save roles"),
            Msg::Active => ("启用", "Active"),
            Msg::Deactivated => ("已停用", "Deactivated"),
            Msg::Deactivate => ("停用", "Deactivate"),
            Msg::Activate => ("启用", "Activate"),
            Msg::ConfirmDeactivate => (
                "确定停用该用户？其所有会话将立即结束。",
                "Deactivate this user? All of their sessions end at once.",
            ),
            Msg::ConfirmActivate => ("确定重新启用该用户？", "Activate this user again?"),
            Msg::Status => ("状态", "Status"),
            Msg::SignedInAs => ("当前用户", "Signed in as"),
        }
    }
}

pub fn tr(lang: Lang, msg: Msg) -> &'static str {
    let (zh, en) = msg.pair();
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// The current language, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct I18n(RwSignal<Lang>);

impl I18n {
    /// The text for `msg` in the current language. Not reactive on purpose:
    /// the app rebuilds its whole view when the language changes (see
    /// `App`), so each text is a plain string, not a closure per text node —
    /// measured with `make size`, that keeps tens of KB out of the wasm.
    pub fn t(self, msg: Msg) -> &'static str {
        tr(self.0.get_untracked(), msg)
    }

    /// The current language (reactive: views that must follow it call this).
    pub fn lang(self) -> Lang {
        self.0.get()
    }

    /// Switches language and remembers the choice.
    pub fn set(self, lang: Lang) {
        self.0.set(lang);
        store(lang);
        set_document_lang(lang);
    }
}

/// Where the chosen language is kept across reloads.
const STORAGE_KEY: &str = "dealgate.lang";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn store(lang: Lang) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, lang.tag());
    }
}

fn stored() -> Option<Lang> {
    storage()?
        .get_item(STORAGE_KEY)
        .ok()?
        .as_deref()
        .and_then(Lang::from_tag)
}

fn browser_preference() -> Lang {
    let Some(window) = web_sys::window() else {
        return Lang::default();
    };
    let tags: Vec<String> = window
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    Lang::negotiate(tags.iter().map(String::as_str))
}

fn set_document_lang(lang: Lang) {
    crate::api::set_language(lang.tag());
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", lang.tag());
    }
}

/// Chooses the language (stored choice, else the browser's) and provides it.
pub fn provide_i18n() -> I18n {
    let lang = stored().unwrap_or_else(browser_preference);
    set_document_lang(lang);
    let i18n = I18n(RwSignal::new(lang));
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_text_in_both_languages() {
        for msg in Msg::ALL {
            for lang in Lang::ALL {
                assert!(
                    !tr(lang, *msg).trim().is_empty(),
                    "{msg:?} is empty in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn chinese_and_english_texts_differ_where_they_should() {
        assert_eq!(tr(Lang::ZhCn, Msg::NavHome), "首页");
        assert_eq!(tr(Lang::En, Msg::NavHome), "Home");
    }
}
